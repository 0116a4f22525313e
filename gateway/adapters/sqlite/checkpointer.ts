/**
 * Moves WAL checkpoints off the till's path. With SQLite's automatic checkpoint, the commit
 * that crosses the threshold copies thousands of pages into the database file and fsyncs it
 * while a till waits for its answer: the worst till latencies were those commits. Here a
 * worker thread with its own connection runs `wal_checkpoint(PASSIVE)` on a timer; PASSIVE
 * never blocks the writer, and the writer restarts the WAL once it is fully copied. The
 * writer keeps a (much larger) automatic checkpoint as a fallback should the worker stall.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Plain CommonJS, evaluated in the worker: no TypeScript loader is needed there.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');
let busy = false;
const timer = setInterval(() => {
  if (busy) return;
  busy = true;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message || e) });
  } finally {
    busy = false;
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

export interface Checkpointer {
  /** Last result: WAL frames and frames copied, or the error. */
  last(): { ok: boolean; log?: number; checkpointed?: number; error?: string } | undefined;
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, opts: { intervalMs?: number } = {}): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, intervalMs: opts.intervalMs ?? 250, betterSqlite3: require.resolve('better-sqlite3') },
  });
  worker.unref();
  let last: ReturnType<Checkpointer['last']>;
  worker.on('message', (m: NonNullable<typeof last>) => (last = m));
  worker.on('error', (e) => (last = { ok: false, error: e.message }));
  return {
    last: () => last,
    stop: async () => {
      // Keep the process alive until the worker has closed its connection.
      worker.ref();
      const exited = new Promise<void>((res) => worker.once('exit', () => res()));
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((res) => (timer = setTimeout(res, 2000)));
      await Promise.race([exited, timeout]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
