/**
 * Two connected in-process byte streams for link tests. Bytes written on one end arrive on
 * the other asynchronously (setImmediate), in order, like a real line. Each direction has a
 * tap that can look at, rewrite or drop a chunk before it arrives.
 */
import { EventEmitter } from 'node:events';

export type Tap = (chunk: Uint8Array) => Uint8Array | null;

export class PipeEnd extends EventEmitter {
  peer!: PipeEnd;
  /** Rewrites or drops (null) what this end writes. */
  tap: Tap | null = null;
  /** Everything this end wrote (after the tap), for assertions. */
  readonly sent: number[] = [];
  closed = false;

  write(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    const bytes = this.tap ? this.tap(Uint8Array.from(chunk)) : Uint8Array.from(chunk);
    if (!bytes || bytes.length === 0) return true;
    this.sent.push(...bytes);
    setImmediate(() => {
      if (!this.peer.closed) this.peer.emit('data', Buffer.from(bytes));
    });
    return true;
  }

  /** Close both ends, as a cable pull would. */
  destroy(): void {
    for (const end of [this, this.peer]) {
      if (end.closed) continue;
      end.closed = true;
      setImmediate(() => end.emit('close'));
    }
  }
}

export function duplexPair(): [PipeEnd, PipeEnd] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
