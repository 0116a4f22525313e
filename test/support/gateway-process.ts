/**
 * The real gateway as a child process (`bin/trouw-gateway.mjs start`), configured through
 * TROUW_* environment overrides, for tests that kill and restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/trouw-gateway.mjs');

export interface GatewayProcess {
  readonly pid: number | undefined;
  /** Resolves when /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function spawnGateway(opts: { env: Record<string, string>; httpPort: number; logFile: string }): GatewayProcess {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, ...opts.env, TROUW_HTTP__PORT: String(opts.httpPort), TROUW_HTTP__HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((res) => child.once('exit', (code, signal) => res(code ?? (signal ? -1 : null))));
  let dead = false;
  void exited.then(() => (dead = true));

  return {
    pid: child.pid,
    exited,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (dead) throw new Error(`gateway exited before it was ready; see ${opts.logFile}`);
        try {
          const res = await fetch(`http://127.0.0.1:${opts.httpPort}/readyz`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`gateway not ready within ${timeoutMs} ms; see ${opts.logFile}`);
    },
    async kill(signal) {
      if (!dead) child.kill(signal);
      return exited;
    },
  };
}
