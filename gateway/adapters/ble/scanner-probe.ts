/**
 * One-shot probe of a scanner's controller for `doctor --probe-scanners`: forks the same
 * scanner worker the gateway runs (scanner-worker.mjs, same environment and IPC protocol),
 * waits until it scans or fails, listens for a while, stops it and returns counts only.
 *
 * Nothing that identifies a device leaves this module: the worker never sends addresses, and
 * of the adverts it passes on only their number and the strongest level are kept (no token,
 * no per-device RSSI). No restart, no back-off: one attempt, one answer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ScannerSpec } from '../../ports/ble-scanner';
import { SCANNER_WORKER, workerEnv } from './noble-scanners';
import type { ParentToWorker, WorkerConfig, WorkerStats, WorkerToParent } from './worker-protocol';

export interface ProbeOptions {
  /** Hex prefixes of manufacturer data the worker passes on (as the gateway's). */
  accept: readonly string[];
  /** Hex prefix (iBeacon header + program UUID) of the adverts counted as the program's. */
  programPrefix: string;
  /** The worker gives up when the controller is not scanning this long after start. */
  startTimeoutMs: number;
  /** How long to listen once scanning. */
  listenMs: number;
}

export type ProbeResult =
  | {
      ok: true;
      scanner: string;
      /** Adverts with the program UUID / passed on with another accepted (tag) UUID. */
      programAdverts: number;
      otherAccepted: number;
      /** Everything the controller reported (strangers included), when the worker said. */
      heard?: number;
      /** Strongest level of a program-UUID advert (dBm, as heard, before offsetDb). */
      strongestDbm?: number;
      listenedMs: number;
      /** Set when the controller failed while listening (it had been scanning). */
      failedAfter?: ProbeFailure;
    }
  | { ok: false; scanner: string; failure: ProbeFailure };

export type ProbeFailureKind = 'port-missing' | 'port-busy' | 'no-access' | 'no-answer' | 'no-scan' | 'powered-off' | 'other';

export interface ProbeFailure {
  kind: ProbeFailureKind;
  /** One line for store IT, with no device data. */
  reason: string;
}

/** Sorts a worker's failure text into what store IT can act on. */
export function classifyFailure(raw: string, ctx: { port?: string; poweredOn: boolean; startTimeoutMs: number }): ProbeFailure {
  const where = ctx.port ?? 'the controller';
  if (/cannot lock port|resource temporarily unavailable|EAGAIN|EBUSY|device or resource busy/i.test(raw)) {
    return { kind: 'port-busy', reason: `${where} is busy/locked by another process — is the gateway running? stop it or probe without it` };
  }
  if (/ENOENT|no such file/i.test(raw)) return { kind: 'port-missing', reason: `${where} does not exist` };
  if (/EACCES|permission denied|EPERM|operation not permitted|unauthorized/i.test(raw)) return { kind: 'no-access', reason: `no access to ${where} (${raw})` };
  if (/poweredOff/.test(raw)) return { kind: 'powered-off', reason: 'controller went poweredOff (unplugged or reset)' };
  if (/no answer from the controller/.test(raw)) {
    return ctx.poweredOn
      ? { kind: 'no-scan', reason: `controller answered but did not start scanning within ${ctx.startTimeoutMs} ms` }
      : { kind: 'no-answer', reason: `no answer to HCI Reset within ${ctx.startTimeoutMs} ms` };
  }
  return { kind: 'other', reason: raw };
}

const STOP_GRACE_MS = 3000;
const STATS_WAIT_MS = 2000;

export async function probeScanner(spec: ScannerSpec, o: ProbeOptions): Promise<ProbeResult> {
  const port = spec.transport.kind === 'uart' ? spec.transport.path : undefined;
  if (port !== undefined && !existsSync(port)) {
    return { ok: false, scanner: spec.name, failure: { kind: 'port-missing', reason: `${port} does not exist` } };
  }
  const cfg: WorkerConfig = {
    scanner: spec.name,
    transport: spec.transport,
    accept: [...o.accept],
    batchMs: 20,
    batchMax: 256,
    startTimeoutMs: o.startTimeoutMs,
    statsIntervalMs: 3_600_000, // asked for once, at the end
    prune: true,
  };
  let child: ChildProcess;
  try {
    child = fork(SCANNER_WORKER, [], { env: workerEnv(spec, cfg), stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  } catch (e) {
    return { ok: false, scanner: spec.name, failure: { kind: 'other', reason: `cannot start the scanner worker: ${(e as Error).message}` } };
  }

  let poweredOn = false;
  let scanning = false;
  let failed: string | undefined;
  let stats: WorkerStats | undefined;
  let programAdverts = 0;
  let otherAccepted = 0;
  let strongest: number | undefined;
  let stderrTail = '';
  const prefix = o.programPrefix.toLowerCase();
  const wake = new Set<() => void>();
  const poke = () => {
    for (const w of [...wake]) w();
  };

  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-2000);
  });
  child.on('message', (m: WorkerToParent) => {
    switch (m.t) {
      case 'state':
        if (m.state === 'poweredOn') poweredOn = true;
        if (m.state === 'scanning') scanning = true;
        break;
      case 'adverts':
        for (let i = 0; i < m.rssi.length; i++) {
          if (m.data[i]!.startsWith(prefix)) {
            programAdverts++;
            if (strongest === undefined || m.rssi[i]! > strongest) strongest = m.rssi[i]!;
          } else otherAccepted++;
        }
        break;
      case 'failed':
        failed ??= m.reason;
        break;
      case 'stats': {
        const { t: _t, ...s } = m;
        stats = s;
        break;
      }
    }
    poke();
  });
  let exited = false;
  let exitNote = '';
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitNote = signal ? `worker killed (${signal})` : `worker exited (${code})`;
      resolve();
      poke();
    }),
  );
  child.on('error', (e) => {
    failed ??= `worker: ${e.message}`;
    poke();
  });

  /** Resolves when `cond` holds, or after `ms` (false then). */
  const until = (cond: () => boolean, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (cond()) return resolve(true);
      const done = (v: boolean) => {
        clearTimeout(timer);
        wake.delete(check);
        resolve(v);
      };
      const check = () => {
        if (cond()) done(true);
      };
      const timer = setTimeout(() => done(cond()), ms);
      wake.add(check);
    });

  const stop = async () => {
    if (exited) return;
    if (child.connected) child.send({ t: 'stop' } satisfies ParentToWorker);
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exit;
    clearTimeout(killer);
  };
  const failure = (): ProbeFailure => {
    const stderr = stderrTail.trim().split('\n').filter(Boolean).pop();
    const raw = failed ?? (stderr ? `${exitNote}: ${stderr.slice(0, 200)}` : exitNote || 'the worker did not report in time');
    return classifyFailure(raw, { ...(port !== undefined && { port }), poweredOn, startTimeoutMs: o.startTimeoutMs });
  };

  // The worker has its own start timeout; ours only guards against a worker that hangs.
  await until(() => scanning || failed !== undefined || exited, o.startTimeoutMs + 2000);
  if (!scanning) {
    if (failed === undefined && !exited) failed = `no answer from the controller within ${o.startTimeoutMs} ms`;
    await stop();
    return { ok: false, scanner: spec.name, failure: failure() };
  }
  const t0 = Date.now();
  await until(() => failed !== undefined || exited, o.listenMs);
  const listenedMs = Date.now() - t0;
  const failedAfter = failed !== undefined || exited ? failure() : undefined;
  if (!failedAfter && child.connected) {
    child.send({ t: 'stats' } satisfies ParentToWorker);
    await until(() => stats !== undefined || exited, STATS_WAIT_MS);
  }
  await stop();
  return {
    ok: true,
    scanner: spec.name,
    programAdverts,
    otherAccepted,
    ...(stats && { heard: stats.heard }),
    ...(strongest !== undefined && { strongestDbm: strongest }),
    listenedMs,
    ...(failedAfter && { failedAfter }),
  };
}
