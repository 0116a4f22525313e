/**
 * A throwaway PostgreSQL 15 (DESIGN.md §10): initdb and pg_ctl from Debian's packages, in a
 * temporary directory, on a free loopback port, trust authentication on loopback only. As
 * root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './mosquitto';

export interface Postgres {
  readonly url: string;
  readonly port: number;
  /** A fresh database on this server; returns its URL. */
  createDatabase(name: string): string;
  dispose(): Promise<void>;
}

export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

export const postgresAvailable = (): boolean => postgresBinDir() !== undefined;

/**
 * `settings`: extra server settings (`-c name=value`), e.g. bench:hq's larger shared_buffers;
 * `keep`: dispose stops the server but leaves its directory (bench:hq --pg-keep, to query a
 * loaded database again with `pg_ctl -D <dir>/data start`).
 */
export async function startPostgres(o: { settings?: Record<string, string>; keep?: boolean } = {}): Promise<Postgres & { dir: string }> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'trouw-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe', cwd: '/' }).toString()
      : execFileSync(full, args, { stdio: 'pipe' }).toString();
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const user = asRoot ? 'postgres' : userInfo().username;
  run('initdb', ['-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    [
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50 -c shared_buffers=64MB`,
      ...Object.entries(o.settings ?? {}).map(([k, val]) => `-c ${k}=${val}`),
    ].join(' '),
    'start',
  ]);
  await waitForPort(port);
  const url = `postgres://${user}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dir,
    createDatabase(name) {
      run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', user, name]);
      return `postgres://${user}@127.0.0.1:${port}/${name}`;
    },
    async dispose() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        // already gone
      }
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
