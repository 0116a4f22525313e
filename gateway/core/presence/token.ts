/**
 * Rotating member tokens (DESIGN.md §4): a consenting member's phone advertises the program
 * UUID with `token = trunc32(HMAC-SHA256(memberKey, "trouw-ble-v1" ‖ epoch))` in major‖minor,
 * `epoch = floor(unixSeconds / 900)`. `epoch` is encoded as 4 bytes, unsigned big-endian
 * (docs/presence.md); trunc32 is the first 4 bytes of the MAC, big-endian.
 *
 * The gateway never holds member keys: HQ sends a table of tokens for epochs e−1…e+1 of
 * consenting members only, and the gateway resolves through it (TokenTable). `memberToken`
 * is here for HQ, the phone app and the simulator.
 */
import { createHmac } from 'node:crypto';

export const TOKEN_EPOCH_SECONDS = 900;
const LABEL = Buffer.from('trouw-ble-v1', 'ascii');

export const epochOf = (epochMs: number): number => Math.floor(epochMs / 1000 / TOKEN_EPOCH_SECONDS);

export function memberToken(memberKey: Uint8Array, epoch: number): number {
  const e = Buffer.alloc(4);
  e.writeUInt32BE(epoch >>> 0);
  return createHmac('sha256', memberKey).update(LABEL).update(e).digest().readUInt32BE(0);
}

export interface TokenEntry {
  /** Member number. */
  readonly member: string;
  readonly epoch: number;
  /** Unsigned 32-bit. */
  readonly token: number;
}

export type Resolution =
  | { readonly kind: 'member'; readonly member: string }
  /** Not in the table for epochs e−1…e+1: not a person (DESIGN.md §4). */
  | { readonly kind: 'unresolved' }
  /** Two members share the token in the window: not a person either. */
  | { readonly kind: 'ambiguous' };

const UNRESOLVED: Resolution = { kind: 'unresolved' };
const AMBIGUOUS: Resolution = { kind: 'ambiguous' };

/** token → (member, epoch) for the epochs HQ sent. Lookups accept epochs e−1…e+1 of `now`. */
export class TokenTable {
  private readonly byToken = new Map<number, TokenEntry[]>();
  private readonly resolved = new Map<string, Resolution>();

  constructor(entries: Iterable<TokenEntry> = []) {
    for (const e of entries) {
      const list = this.byToken.get(e.token);
      if (list) list.push(e);
      else this.byToken.set(e.token, [e]);
    }
  }

  get size(): number {
    let n = 0;
    for (const l of this.byToken.values()) n += l.length;
    return n;
  }

  resolve(token: number, now: number): Resolution {
    const list = this.byToken.get(token);
    if (!list) return UNRESOLVED;
    const e = epochOf(now);
    let member: string | undefined;
    for (const entry of list) {
      if (entry.epoch < e - 1 || entry.epoch > e + 1) continue;
      if (member === undefined) member = entry.member;
      else if (member !== entry.member) return AMBIGUOUS;
    }
    if (member === undefined) return UNRESOLVED;
    let r = this.resolved.get(member);
    if (!r) this.resolved.set(member, (r = { kind: 'member', member }));
    return r;
  }

  /** A table without `member` (erasure). */
  without(member: string): TokenTable {
    const keep: TokenEntry[] = [];
    for (const l of this.byToken.values()) for (const e of l) if (e.member !== member) keep.push(e);
    return new TokenTable(keep);
  }
}
