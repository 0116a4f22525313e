import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigError, loadConfig, validateConfig } from '../../gateway/config/load';

function errorOf(raw: unknown): string {
  try {
    validateConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('runs on defaults alone and is frozen', () => {
    const c = validateConfig({});
    expect(c.store.timeZone).toBe('Europe/Amsterdam');
    expect(c.loyalty.exclusions.categories).toContain('tobacco');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.loyalty.exclusions.categories)).toBe(true);
    expect(() => ((c as { http: { port: number } }).http.port = 1)).toThrow();
  });

  it.each([
    [
      { lanes: [{ id: 'l1', transport: 'serial', path: '/dev/ttyUSB0', baudRate: 12 }] },
      'config: lanes.0.baudRate = 12: expected one of 9600, 19200, 38400, 57600, 115200',
    ],
    [{ lanes: [{ id: 'l1', transport: 'usb' }] }, 'config: lanes.0.transport = "usb": expected one of "serial", "tcp"'],
    [{ lanes: [{ id: 'l1', transport: 'serial' }] }, 'config: lanes.0.path = (missing): expected serial device, e.g. /dev/ttyUSB0'],
    [{ lanes: [{ id: 'l1', transport: 'tcp', port: 99999 }] }, 'config: lanes.0.port = 99999: expected a whole number >= 1 and <= 65535'],
    [{ store: { timeZone: 'Mars/Base' } }, 'config: store.timeZone = "Mars/Base": expected an IANA time zone such as "Europe/Amsterdam"'],
    [{ http: { prot: 1 } }, 'config: http.prot = 1: expected no such key (check the spelling)'],
    [{ loyalty: { pointsPerEuro: -1 } }, 'config: loyalty.pointsPerEuro = -1: expected a number >= 0 and <= 1000'],
    [
      {
        lanes: [
          { id: 'a', transport: 'serial', path: '/dev/x' },
          { id: 'a', transport: 'serial', path: '/dev/y' },
        ],
      },
      'config: lanes.1.id = "a": expected a lane id not used by another lane',
    ],
    [
      { loyalty: { promotions: [{ id: 'p', from: '2026-02-01', to: '2026-01-01', factor: 2 }] } },
      'config: loyalty.promotions.0.to = "2026-01-01": expected a date on or after "from" (2026-02-01)',
    ],
  ])('names the key, the value and what was expected: %j', (raw, message) => {
    expect(errorOf(raw)).toBe(message);
  });

  it('reads YAML and applies environment overrides on top', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-cfg-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'store:\n  id: store-042\nhttp:\n  port: 8081\nlanes:\n  - id: lane-1\n    transport: serial\n    path: /dev/ttyUSB0\n');
    const c = loadConfig({ file, env: { TROUW_HTTP__PORT: '9090', TROUW_STORE__TIME_ZONE: 'UTC' } });
    expect(c.store.id).toBe('store-042');
    expect(c.http.port).toBe(9090);
    expect(c.store.timeZone).toBe('UTC');
    expect(c.lanes[0]).toMatchObject({ transport: 'serial', baudRate: 115200 });
  });

  it('a bad environment override is reported like a bad file value', () => {
    expect(() => loadConfig({ env: { TROUW_HTTP__PORT: 'eighty' } })).toThrow('config: http.port = "eighty": expected a whole number >= 0 and <= 65535');
  });

  it('an unreadable or unparsable file is one clear line', () => {
    expect(() => loadConfig({ file: '/nonexistent/trouw.yaml', env: {} })).toThrow(
      /config: \(file\) = "\/nonexistent\/trouw.yaml": expected a readable config file \(ENOENT\)/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'trouw-cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'store: [unclosed');
    expect(() => loadConfig({ file, env: {} })).toThrow(/expected valid YAML or JSON/);
  });
});
