/** An in-process Connector: each connect() hands the link one end of a fresh pipe pair. */
import type { Connection, Connector } from '../../gateway/adapters/pos/connection';
import { duplexPair, type PipeEnd } from './duplex-pair';

export class PipeConnector implements Connector {
  readonly transport = 'serial' as const;
  readonly waitsForPeer = false;
  /** While set, connect() fails with it (a missing port). */
  failWith: string | null = null;
  /** The till's end of the current pipe. */
  tillEnd: PipeEnd | null = null;
  connects = 0;

  endpoint(): string {
    return 'pipe';
  }

  async connect(): Promise<Connection> {
    this.connects++;
    if (this.failWith) throw new Error(this.failWith);
    const [gw, till] = duplexPair();
    this.tillEnd = till;
    let lost: ((reason: string) => void) | null = null;
    gw.on('close', () => lost?.('pipe closed'));
    return {
      stream: gw,
      onLost: (l) => (lost = l),
      close: async () => gw.destroy(),
    };
  }

  async shutdown(): Promise<void> {}
}
