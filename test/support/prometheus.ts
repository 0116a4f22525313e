/**
 * A real Prometheus (Debian `prometheus`) on loopback for integration tests: scrapes the given
 * targets every second into a temporary TSDB; `query` runs PromQL through its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../firmware-sim/demo/free-port';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  bearerToken?: string;
}

export interface PrometheusHandle {
  readonly url: string;
  readonly logFile: string;
  /** Instant query; the result vector as {labels, value}. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** Every series matching a selector (label sets only). */
  series(match: string): Promise<Array<Record<string, string>>>;
  stop(): Promise<void>;
}

export function requirePrometheus(): void {
  const probe = spawnSync('prometheus', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'prometheus is required for this test but was not found on PATH: install it (Debian: apt-get install prometheus; scripts/test-all.sh does this).',
    );
  }
}

export async function startPrometheus(targets: readonly ScrapeTarget[]): Promise<PrometheusHandle> {
  requirePrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'trouw-prometheus-'));
  const port = await freePort();
  const scrapeConfigs = targets
    .map((t) =>
      [
        `  - job_name: ${t.job}`,
        '    scrape_interval: 1s',
        '    scrape_timeout: 900ms',
        ...(t.bearerToken ? ['    authorization:', `      credentials: ${t.bearerToken}`] : []),
        '    static_configs:',
        `      - targets: ['${t.address}']`,
      ].join('\n'),
    )
    .join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n${scrapeConfigs}\n`);
  const logFile = join(dir, 'prometheus.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prometheus did not become ready; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    logFile,
    async query(promql) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as {
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      };
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async series(match) {
      return (await api(`/api/v1/series?match[]=${encodeURIComponent(match)}`)) as Array<Record<string, string>>;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
