/**
 * The till's own journal: an append-only JSONL file, one fsync'd line per event, so that what
 * the till believes it sent survives a crash of the till (or of the test). Tests compare it
 * with the gateway's ledger: every sale here must be there exactly once.
 *
 *   {"kind":"request","id":…,"type":"sale","at":…,"attempt":1,"body":{…}}   before each send
 *   {"kind":"response","id":…,"at":…,"late":false,"body":{…}}              when an answer came
 *   {"kind":"pending","id":…,"at":…,"reason":"timeout"}                     the till failed open
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { TillRequest, TillResponse } from '../../gateway/core/till/messages';

export type JournalEntry =
  | { kind: 'request'; id: string; type: TillRequest['type']; at: string; attempt: number; body: TillRequest }
  | { kind: 'response'; id: string; at: string; late: boolean; body: TillResponse }
  | { kind: 'pending'; id: string; at: string; reason: string };

export class Journal {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  append(entry: JournalEntry): void {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    writeSync(this.fd, JSON.stringify(entry) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Read a journal; a torn last line (the till died mid-write) is ignored. */
export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  const entries: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // torn line
    }
  }
  return entries;
}

export interface JournalRequest {
  id: string;
  body: TillRequest;
  /** How many times it was put on the wire (first send and resends). */
  attempts: number;
  response?: TillResponse;
  /** Failed open and not answered since: still to be resent. */
  pending: boolean;
}

/** One record per request id, in first-sent order. */
export function summariseJournal(entries: readonly JournalEntry[]): JournalRequest[] {
  const byId = new Map<string, JournalRequest>();
  for (const e of entries) {
    let r = byId.get(e.id);
    if (e.kind === 'request') {
      if (!r) byId.set(e.id, (r = { id: e.id, body: e.body, attempts: 0, pending: false }));
      r.attempts++;
    } else if (r && e.kind === 'response') {
      r.response = e.body;
      r.pending = false;
    } else if (r && e.kind === 'pending') r.pending = true; // the latest event wins
  }
  return [...byId.values()];
}

/** The sales the till rang, answered or not: what the ledger must hold exactly once each. */
export function journalSales(path: string) {
  return summariseJournal(readJournal(path)).filter((r): r is JournalRequest & { body: Extract<TillRequest, { type: 'sale' }> } => r.body.type === 'sale');
}
