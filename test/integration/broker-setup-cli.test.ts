/**
 * The broker setup as shipped: `tsx sync/hq/cli.ts broker-setup` writes the folder, Debian's
 * mosquitto runs it as written, a gateway connects with its own password file and client id,
 * and the same credentials with another client id are refused. Running the command again
 * keeps the passwords it wrote (adding a store rotates nobody else's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { freePort, mosquittoBinary, waitForPort } from '../support/mosquitto';

const CLI = resolve(import.meta.dirname, '../../sync/hq/cli.ts');
let dir: string;
let broker: ChildProcess | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-broker-setup-'));
});
afterAll(() => {
  broker?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const setup = (port: number, gateways: string) => {
  writeFileSync(join(dir, 'gateways.yaml'), gateways);
  return JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'broker-setup',
        '--gateways',
        join(dir, 'gateways.yaml'),
        '--out',
        join(dir, 'broker'),
        '--listen-port',
        String(port),
        '--listen-host',
        '127.0.0.1',
        '--run-as',
        userInfo().username,
      ],
      { encoding: 'utf8' },
    ),
  ) as { conf: string; gateways: { username: string; clientId: string; passwordFile: string }[] };
};

describe('broker-setup command', () => {
  it('writes a mosquitto setup that runs as written and binds each gateway to its client id', async () => {
    const port = await freePort();
    const first = setup(port, 'gateways:\n  - {store: store-a, gateway: gw-1}\n');
    const pwA = readFileSync(first.gateways[0]!.passwordFile, 'utf8').trim();
    expect(statSync(first.gateways[0]!.passwordFile).mode & 0o777).toBe(0o600);
    const again = setup(port, 'gateways:\n  - {store: store-a, gateway: gw-1}\n  - {store: store-b, gateway: gw-1}\n');
    expect(readFileSync(again.gateways[0]!.passwordFile, 'utf8').trim()).toBe(pwA); // kept
    expect(again.gateways.map((g) => [g.username, g.clientId])).toEqual([
      ['store-a.gw-1', 'trouw-store-a-gw-1'],
      ['store-b.gw-1', 'trouw-store-b-gw-1'],
    ]);

    broker = spawn(mosquittoBinary()!, ['-c', again.conf], { stdio: 'ignore' });
    await waitForPort(port);
    const url = `mqtt://127.0.0.1:${port}`;
    const ok = await mqtt.connectAsync(url, {
      username: 'store-a.gw-1',
      password: pwA,
      clientId: 'trouw-store-a-gw-1',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    const granted = await ok.subscribeAsync('trouw/v1/store-a/gw-1/ack', { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    const denied = await ok.subscribeAsync('$share/hq/trouw/v1/+/+/evt/#', { qos: 1 }).then(
      () => 'granted',
      (e: Error) => e.message,
    );
    expect(denied).toMatch(/Not authorized/);
    await ok.endAsync();
    const refused = await mqtt
      .connectAsync(url, { username: 'store-a.gw-1', password: pwA, clientId: 'trouw-store-b-gw-1', protocolVersion: 5, reconnectPeriod: 0 })
      .then(
        (c) => (c.end(), 'connected'),
        (e: Error) => e.message,
      );
    expect(refused).toMatch(/Not authorized/i);
  });
});
