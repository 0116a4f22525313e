/**
 * `trouw-gateway doctor --probe-scanners` as store IT runs it, with the gateway stopped:
 * four scanners in the config — one whose pty has the HCI emulator on the other end with a
 * few members' phones (program-UUID iBeacons) and a stranger advertising, one whose pty has
 * nothing on the other end (no answer to HCI Reset), one whose port does not exist, and one
 * whose port another process holds locked (as a running gateway would). One line per
 * scanner, counts and levels only (no address, token or per-device level), exit 1.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { openSerialController } from '../../firmware-sim/hci/serial-controller';
import { memberPhone, strangerDevice, type Device } from '../../firmware-sim/store/devices';
import { Rng } from '../../firmware-sim/store/prng';
import { requireSocat, startSocat } from '../support/socat';

const BIN = resolve(import.meta.dirname, '../../bin/trouw-gateway.mjs');
const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';

/** The CLI without blocking this process: the emulator lives here and must keep answering. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', fail);
    child.once('close', (status) => {
      clearTimeout(killer);
      done({ status, stdout, stderr });
    });
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => requireSocat());

describe('trouw-gateway doctor --probe-scanners', () => {
  it('reports a live controller up with counts, a silent one, a missing port and a locked port down; exit 1', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-probe-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const live = await startSocat({ a: join(dir, 'gw-live'), b: join(dir, 'ctl-live') });
    cleanups.push(() => live.close());
    const silent = await startSocat({ a: join(dir, 'gw-silent'), b: join(dir, 'ctl-silent') });
    cleanups.push(() => silent.close());
    const held = await startSocat({ a: join(dir, 'gw-held'), b: join(dir, 'ctl-held') });
    cleanups.push(() => held.close());

    const emu = await openSerialController(live.b, { address: '00:1A:7D:DA:71:01' });
    cleanups.push(() => emu.close());
    // Another process's lock on the scanner's end, as a running gateway's worker holds it.
    const { SerialPort } = await import('serialport');
    const holder = new SerialPort({ path: held.a, baudRate: 1_000_000, autoOpen: false, lock: true });
    await new Promise<void>((ok, ko) => holder.open((e) => (e ? ko(e) : ok())));
    cleanups.push(() => new Promise<void>((ok) => holder.close(() => ok())));

    // Three members' phones at fixed levels and a stranger's beacon, every 100 ms.
    const rng = Rng.seeded(11);
    const phones: Array<[Device, number]> = [-55, -63, -71].map((level, i) => [
      memberPhone({ member: `M-10000${i}`, key: rng.bytes(32), programUuid: PROGRAM, intervalMs: 100 }, rng),
      level,
    ]);
    const stranger = strangerDevice('other-beacon', PROGRAM, 100, rng);
    const traces = new Set<string>();
    const tick = setInterval(() => {
      for (const [device, rssi] of [...phones, [stranger, -50] as [Device, number]]) {
        const ad = device.advert(Date.now());
        traces.add(ad.address.toLowerCase()).add(ad.address.replace(/:/g, '').toLowerCase());
        // major‖minor (the token) of the iBeacon: AD flags (3) + length/type (2) + company and
        // iBeacon header (4) + UUID (16), then 4 bytes.
        traces.add(Buffer.from(ad.data.subarray(25, 29)).toString('hex'));
        emu.controller.report({ eventType: ad.eventType, addressType: ad.addressType, address: ad.address, data: ad.data, rssi });
      }
    }, 100);
    cleanups.push(() => clearInterval(tick));

    const missing = join(dir, 'ttyACM-gone');
    const configFile = join(dir, 'gateway.yaml');
    writeFileSync(
      configFile,
      [
        'database: { path: ":memory:" }',
        'presence:',
        `  programUuid: ${PROGRAM}`,
        '  startTimeoutMs: 3000',
        '  scanners:',
        `    - { name: scan-live, zone: A, port: ${live.a} }`,
        `    - { name: scan-silent, zone: B, port: ${silent.a} }`,
        `    - { name: scan-gone, zone: C, port: ${missing} }`,
        `    - { name: scan-held, zone: D, port: ${held.a} }`,
        '',
      ].join('\n'),
    );

    const t0 = Date.now();
    const r = await cli(['doctor', '--config', configFile, '--probe-scanners', '--probe-seconds', '2'], { TROUW_HTTP__PORT: '0', TROUW_CONFIG: '' });
    const took = Date.now() - t0;
    const out = r.stdout;
    const probeLines = out.split('\n').filter((l) => / probe: /.test(l));
    expect(probeLines, out + r.stderr).toHaveLength(4);

    const up = probeLines.find((l) => l.includes('scanner scan-live probe'))!;
    expect(up).toMatch(
      /^✔ scanner scan-live probe: up: controller answered, scanning; (\d+) program-UUID adverts heard in 2(\.\d)? s, strongest -55 dBm, (\d+) adverts of any kind$/,
    );
    const [, programN, anyN] = up.match(/; (\d+) program-UUID.* (\d+) adverts of any kind$/)!;
    expect(Number(programN)).toBeGreaterThanOrEqual(30); // 3 phones × 10/s × 2 s, give or take start and stop
    expect(Number(anyN)).toBeGreaterThan(Number(programN)); // the stranger is heard but not counted as the program's

    expect(probeLines).toContain('✖ scanner scan-silent probe: down: no answer to HCI Reset within 3000 ms');
    expect(probeLines).toContain(`✖ scanner scan-gone probe: down: ${missing} does not exist`);
    expect(probeLines).toContain(
      `✖ scanner scan-held probe: down: ${held.a} is busy/locked by another process — is the gateway running? stop it or probe without it`,
    );
    expect(out).toMatch(/fix: check the dongle runs HCI \(H4\) firmware/);
    // Probing says nothing about "stop the gateway and run --probe-scanners" again.
    expect(out).not.toContain('hint:');

    // The gone port also fails the plain check; silent and held ports pass it: 3 + 1.
    expect(out).toContain('4 problem(s) found');
    expect(r.status).toBe(1);
    // Bounded: about one start timeout (3 s) plus CLI start-up, however many scanners are down.
    expect(took).toBeLessThan(20_000);

    // Nothing that identifies a device: no address, no token; the only level is the strongest.
    for (const t of traces) expect(out + r.stderr).not.toContain(t);
    expect((out.match(/-?\d+ dBm/g) ?? []).length).toBe(1);

    // The controller was let go: scanning disabled on the way out.
    expect(emu.controller.scanning).toBe(false);

    // Without the flag: doctor as before, nothing opened, the flag named in the hint.
    const before = emu.controller.counters.resets;
    const plain = spawnSync(process.execPath, [BIN, 'doctor', '--config', configFile], {
      encoding: 'utf8',
      env: { ...process.env, TROUW_HTTP__PORT: '0', TROUW_CONFIG: '' },
      timeout: 60_000,
    });
    expect(plain.stdout).not.toMatch(/ probe: /);
    expect(plain.stdout).toMatch(/✔ scanner scan-live \(zone A\): .* present, H4 at 1000000 baud\n {4}hint: .*trouw-gateway doctor --probe-scanners/);
    expect(plain.stdout).toContain('1 problem(s) found');
    expect(plain.status).toBe(1);
    expect(emu.controller.counters.resets).toBe(before);

    // --probe-seconds alone, or a bad value: a usage error.
    expect((await cli(['doctor', '--config', configFile, '--probe-seconds', '3'])).status).toBe(2);
    expect((await cli(['doctor', '--config', configFile, '--probe-scanners', '--probe-seconds', 'soon'])).status).toBe(2);
  });
});
