import { accessSync, constants, existsSync, statSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import type BetterSqlite3 from 'better-sqlite3';
import type { LaneConfig } from '../config/schema';
import { LATEST_VERSION } from '../adapters/sqlite/migrations/index';
import { runningGateway } from '../adapters/sqlite/gateway-lock';

export interface Finding {
  level: 'ok' | 'warn' | 'fail';
  name: string;
  detail: string;
  fix?: string;
  /** Not a problem: a pointer to a further check. */
  hint?: string;
}

const require = createRequire(import.meta.url);

export function checkDatabase(path: string): Finding {
  const name = `database ${path}`;
  if (path === ':memory:') return { level: 'warn', name, detail: 'in memory: nothing survives a restart', fix: 'set database.path to a file' };
  if (!existsSync(path)) return { level: 'ok', name, detail: 'not created yet; `start` creates it and applies the migrations' };
  try {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      const check = db.pragma('quick_check', { simple: true });
      const mode = db.pragma('journal_mode', { simple: true });
      const running = runningGateway(path);
      const schema =
        version === LATEST_VERSION
          ? `schema version ${version} (current)`
          : version < LATEST_VERSION
            ? `schema version ${version} (older: start migrates it to ${LATEST_VERSION})`
            : `schema version ${version}, newer than this gateway (${LATEST_VERSION})`;
      const detail = `${schema}, journal ${mode}, quick_check ${check}${running ? `, in use by gateway pid ${running}` : ''}`;
      if (version > LATEST_VERSION)
        return {
          level: 'fail',
          name,
          detail,
          fix: 'install the gateway version that wrote it, or restore a backup made by this version (trouw-gateway restore FILE)',
        };
      const level = check === 'ok' ? 'ok' : 'fail';
      return {
        level,
        name,
        detail,
        ...(level === 'fail' ? { fix: 'restore the latest backup (trouw-gateway restore FILE); keep the damaged file for analysis' } : {}),
      };
    } finally {
      db.close();
    }
  } catch (e) {
    return { level: 'fail', name, detail: `cannot open: ${(e as Error).message}`, fix: 'check the file permissions and that the disk is not full' };
  }
}

export async function checkSerialPorts(): Promise<Finding[]> {
  const devices = existsSync('/dev')
    ? readdirSync('/dev')
        .filter((d) => /^tty(USB|ACM|S\d|AMA)/.test(d))
        .map((d) => `/dev/${d}`)
    : [];
  let listed: string[] = [];
  try {
    const { SerialPort } = await import('serialport');
    listed = (await SerialPort.list()).map((p) => `${p.path}${p.manufacturer ? ` (${p.manufacturer})` : ''}`);
  } catch {
    // serialport lists through udevadm, absent in minimal systems: the /dev scan still answers.
  }
  const all = [...new Set([...listed, ...devices])];
  return [{ level: 'ok', name: 'serial ports', detail: all.length ? all.join(', ') : 'none seen' }];
}

export async function checkLane(lane: LaneConfig): Promise<Finding> {
  const name = `lane ${lane.id}`;
  if (lane.transport === 'serial') {
    if (!existsSync(lane.path)) {
      return {
        level: 'fail',
        name,
        detail: `${lane.path} does not exist (the gateway will keep retrying)`,
        fix: 'plug in the till cable, or correct lanes[].path (see "serial ports" above)',
      };
    }
    if (!statSync(lane.path).isCharacterDevice())
      return { level: 'fail', name, detail: `${lane.path} is not a serial device`, fix: 'point lanes[].path at the till port' };
    try {
      accessSync(lane.path, constants.R_OK | constants.W_OK);
    } catch {
      return { level: 'fail', name, detail: `no read/write access to ${lane.path}`, fix: 'add the gateway user to the "dialout" group' };
    }
    return { level: 'ok', name, detail: `${lane.path} present, ${lane.baudRate} baud 8N1` };
  }
  if (lane.mode === 'listen') {
    const free = await portFree(lane.host, lane.port);
    return free
      ? { level: 'ok', name, detail: `tcp ${lane.host}:${lane.port} free to listen on` }
      : { level: 'warn', name, detail: `tcp ${lane.host}:${lane.port} is in use (is the gateway already running?)` };
  }
  const reachable = await canConnect(lane.host, lane.port);
  return reachable
    ? { level: 'ok', name, detail: `till reachable at ${lane.host}:${lane.port}` }
    : { level: 'fail', name, detail: `till not reachable at ${lane.host}:${lane.port}`, fix: 'check the till is on and its TCP port' };
}

export async function checkHttpPort(host: string, port: number): Promise<Finding> {
  if (port === 0) return { level: 'ok', name: 'http', detail: 'ephemeral port' };
  return (await portFree(host, port))
    ? { level: 'ok', name: 'http', detail: `${host}:${port} free` }
    : { level: 'warn', name: 'http', detail: `${host}:${port} in use (is the gateway already running?)`, fix: 'set http.port' };
}

/** NFC is optional until cards are configured: nfc-pcsc is an optional dependency (DESIGN.md §10). */
export function checkCardStack(): Finding[] {
  const out: Finding[] = [];
  try {
    require.resolve('nfc-pcsc');
    out.push({ level: 'ok', name: 'nfc-pcsc', detail: 'installed' });
  } catch {
    out.push({ level: 'warn', name: 'nfc-pcsc', detail: 'not installed (card readers unavailable)', fix: 'apt-get install libpcsclite-dev pcscd && npm ci' });
  }
  out.push(
    existsSync('/run/pcscd/pcscd.comm')
      ? { level: 'ok', name: 'pcscd', detail: 'running (/run/pcscd/pcscd.comm)' }
      : { level: 'warn', name: 'pcscd', detail: 'not running (card readers unavailable)', fix: 'apt-get install pcscd; systemctl enable --now pcscd' },
  );
  return out;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: 1000 });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.once('timeout', () => done(false));
  });
}
