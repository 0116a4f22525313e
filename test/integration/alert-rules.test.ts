/**
 * Issue 16: the shipped alert rules (ops/prometheus/trouw-alerts.yml) pass `promtool check
 * rules`, their unit tests pass `promtool test rules`, and every `trouw_` series they name is
 * one the gateway defines (a renamed metric would leave an alert that can never fire).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import { silentLogger } from '../support/browser';

const DIR = resolve(import.meta.dirname, '../../ops/prometheus');
const RULES = resolve(DIR, 'trouw-alerts.yml');

const promtool = (...args: string[]) => {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool not found (Debian: apt-get install prometheus; scripts/test-all.sh does this): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('alert rules', () => {
  it('promtool check rules', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r.out).toContain('SUCCESS: 8 rules found');
    expect(r.status).toBe(0);
  });

  it('promtool test rules', () => {
    const r = promtool('test', 'rules', 'trouw-alerts.test.yml');
    expect(r.out, r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('every trouw_ series the rules use is defined by the gateway', async () => {
    const gw = await startGateway(validateConfig({ database: { path: ':memory:' } }), { logger: silentLogger, listen: false, printPairing: () => undefined });
    try {
      const defined = new Set(gw.metrics!.registry.getMetricsAsArray().map((m) => m.name));
      const used = new Set(readFileSync(RULES, 'utf8').match(/trouw_[a-z_]+/g) ?? []);
      expect(used.size).toBeGreaterThan(8);
      for (const name of used) expect(defined, name).toContain(name.replace(/_(bucket|count|sum)$/, ''));
    } finally {
      await gw.stop();
    }
  });
});
