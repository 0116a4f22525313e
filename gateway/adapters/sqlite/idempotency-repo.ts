/**
 * The till idempotency record: (lane, request id) → the exact response text sent, and the
 * hash of the request content, so a resend gets the same bytes and a reused id with other
 * content is detected.
 */
import type { Db } from './open-database';

export interface StoredResponse {
  requestHash: string;
  response: string;
}

export function createIdempotencyRepo(db: Db) {
  const get = db.prepare<[string, string], StoredResponse>(
    'SELECT request_hash AS requestHash, response FROM till_requests WHERE lane = ? AND request_id = ?',
  );
  const put = db.prepare<[string, string, string, string, string, number]>(
    'INSERT INTO till_requests (lane, request_id, type, request_hash, response, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return {
    get: (lane: string, requestId: string): StoredResponse | undefined => get.get(lane, requestId),
    put: (r: { lane: string; requestId: string; type: string; requestHash: string; response: string; at: number }): void => {
      put.run(r.lane, r.requestId, r.type, r.requestHash, r.response, r.at);
    },
  };
}
export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
