/**
 * The till idempotency record: (lane, request id) → the exact response text sent, and the
 * hash of the request content, so a resend gets the same answer and a reused id with other
 * content is detected. A sale's record names its sale instead of holding a second copy of
 * the answer (migration 008: the sale row keeps it) or of its content hash (migration 009):
 * one small row, one page less per sale.
 */
import type { Db } from './open-database';

export interface StoredResponse {
  requestHash: string;
  response: string;
}

export function createIdempotencyRepo(db: Db) {
  const get = db.prepare<[string, string], StoredResponse>(
    `SELECT coalesce(r.request_hash, s.request_hash) AS requestHash, coalesce(r.response, s.response) AS response
       FROM till_requests r LEFT JOIN sales s ON r.response IS NULL AND s.id = r.sale_id
      WHERE r.lane = ? AND r.request_id = ?`,
  );
  const put = db.prepare<[string, string, string, string | null, string | null, number | null, number]>(
    'INSERT INTO till_requests (lane, request_id, type, request_hash, response, sale_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    get: (lane: string, requestId: string): StoredResponse | undefined => get.get(lane, requestId),
    /**
     * `saleId`: the answer is that sale's stored response, byte for byte, and the hash the
     * sale's (the sale row is written with this request's hash): neither is stored again.
     */
    put: (r: { lane: string; requestId: string; type: string; requestHash: string; response: string; saleId?: number | undefined; at: number }): void => {
      const bySale = r.saleId !== undefined;
      put.run(r.lane, r.requestId, r.type, bySale ? null : r.requestHash, bySale ? null : r.response, r.saleId ?? null, r.at);
    },
  };
}
export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
