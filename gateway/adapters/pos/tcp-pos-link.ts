/**
 * A till over TCP: `connect` dials the till; `listen` accepts one till at a time.
 *
 * Listen mode: when a second connection arrives while one is served, the newer one wins and
 * the older is closed. A till that reconnects after a cable pull opens a new connection
 * while the gateway may not yet have noticed the old one is dead (no FIN ever came);
 * refusing the newcomer would lock the lane out until TCP keep-alive gave up.
 */
import net from 'node:net';
import { errorMessage, type Connection, type Connector } from './connection';
import { ConnectedPosLink, type PosLinkOptions } from './link-runner';

const KEEPALIVE_MS = 10_000;

function wrapSocket(socket: net.Socket): Connection {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_MS);
  let lost: ((reason: string) => void) | null = null;
  let lostReason: string | null = null;
  let error = '';
  socket.on('error', (e) => (error = e.message));
  if (socket.destroyed) lostReason = 'till disconnected';
  socket.on('close', () => {
    lostReason = error ? `connection lost: ${error}` : 'till disconnected';
    lost?.(lostReason);
  });
  return {
    stream: socket,
    onLost: (listener) => {
      lost = listener;
      if (lostReason !== null) listener(lostReason);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        // Give the last bytes a moment to leave, then drop the socket whatever the peer does.
        setTimeout(() => socket.destroy(), 200).unref();
      }),
  };
}

export class TcpDialConnector implements Connector {
  readonly transport = 'tcp' as const;
  readonly waitsForPeer = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  connect(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      const fail = (e: Error) => reject(new Error(`cannot connect to ${this.endpoint()}: ${e.message}`));
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        resolve(wrapSocket(socket));
      });
    });
  }

  async shutdown(): Promise<void> {}
}

export class TcpListenConnector implements Connector {
  readonly transport = 'tcp' as const;
  readonly waitsForPeer = true;
  private server: net.Server | null = null;
  private pending: net.Socket | null = null;
  private waiter: { resolve: (c: Connection) => void; reject: (e: Error) => void } | null = null;
  private current: Connection | null = null;
  private closed = false;

  constructor(
    private readonly host: string,
    private port: number,
  ) {}

  endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  async connect(): Promise<Connection> {
    if (this.closed) throw new Error('listener shut down');
    if (!this.server) await this.listen();
    const socket = this.pending;
    if (socket) {
      this.pending = null;
      return this.take(socket);
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.waiter?.reject(new Error('listener shut down'));
    this.waiter = null;
    this.pending?.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    return new Promise<void>((resolve, reject) => {
      server.once('error', (e) => {
        server.close();
        reject(new Error(`cannot listen on ${this.endpoint()}: ${errorMessage(e)}`));
      });
      server.listen(this.port, this.host, () => {
        const address = server.address();
        if (address && typeof address === 'object') this.port = address.port;
        this.server = server;
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.closed) return void socket.destroy();
    socket.on('error', () => undefined); // an error on a socket nobody reads yet must not crash the gateway
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      return resolve(this.take(socket));
    }
    this.pending?.destroy();
    this.pending = socket;
    // Newest wins: end the connection in hand, the runner then picks up `pending`.
    void this.current?.close();
  }

  private take(socket: net.Socket): Connection {
    const conn = wrapSocket(socket);
    this.current = conn;
    return conn;
  }
}

export interface TcpPosLinkOptions extends PosLinkOptions {
  mode: 'listen' | 'connect';
  host: string;
  /** In listen mode 0 picks a free port (tests); `health().endpoint` shows the real one. */
  port: number;
}

export class TcpPosLink extends ConnectedPosLink {
  constructor(opts: TcpPosLinkOptions) {
    super(opts.mode === 'listen' ? new TcpListenConnector(opts.host, opts.port) : new TcpDialConnector(opts.host, opts.port), opts);
  }
}
