/**
 * What the gateway needs to serve its metrics: the token (from `metrics.tokenFile` or
 * `metrics.token`) and the gateway's version. A token file that cannot be read stops the start
 * with one line naming the key, like every other config problem.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/load';
import type { MetricsConfig } from '../../config/metrics-schema';

export function metricsToken(m: Readonly<MetricsConfig>): string | undefined {
  if (!m.tokenFile) return m.token;
  let text: string;
  try {
    text = readFileSync(m.tokenFile, 'utf8').trim();
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(
      { key: 'metrics.tokenFile', value: m.tokenFile, expected: 'a readable file holding the bearer token' },
      `metrics.tokenFile ${m.tokenFile}: ${why}`,
    );
  }
  if (text.length < 16) {
    throw new ConfigError(
      { key: 'metrics.tokenFile', value: m.tokenFile, expected: 'a token of at least 16 characters' },
      `metrics.tokenFile ${m.tokenFile}: the token is shorter than 16 characters`,
    );
  }
  return text;
}

let version: string | undefined;
/** The gateway's version (package.json), read once. */
export function gatewayVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
