/**
 * `doctor` findings for presence (issue 4): is noble installed with the UART-capable HCI
 * socket, and is each scanner's controller where config says (port present, a character
 * device, readable and writable; or the kernel's hciN). Call from cli/doctor.ts next to the
 * lane checks. Does not open the ports: a running gateway holds them. `probeScanners` does,
 * for `doctor --probe-scanners`: it forks the gateway's scanner worker per controller.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Finding } from './doctor-checks';
import type { PresenceConfig } from '../config/presence-schema';
import { ConfigError } from '../config/load';
import { IBEACON_PREFIX, uuidBytes } from '../core/presence/ibeacon';
import { probeScanner, type ProbeFailureKind, type ProbeResult } from '../adapters/ble/scanner-probe';
import { acceptPrefixes, scannerSpecs } from '../app/presence/presence-config';
import { presenceActive } from '../config/presence-schema';
import { loadRadioMap } from '../config/radio-map-file';

const require = createRequire(import.meta.url);

const PROBE_HINT =
  'the port is not opened here (a running gateway holds it); to see the controller answer, stop the gateway and run `trouw-gateway doctor --probe-scanners`';

/** `probing`: doctor runs `probeScanners` after this, so the hint to do so is left out. */
export function checkPresence(p: PresenceConfig, opts: { probing?: boolean } = {}): Finding[] {
  const hint = opts.probing ? {} : { hint: PROBE_HINT };
  if (!p.enabled) return [{ level: 'ok', name: 'presence', detail: 'off (presence.enabled is false)' }];
  if (p.scanners.length === 0) return [{ level: 'ok', name: 'presence', detail: 'off (no presence.scanners configured)' }];
  const out: Finding[] = [];
  if (p.driver === 'noble') {
    try {
      require.resolve('@abandonware/noble');
      const socket = require('@abandonware/bluetooth-hci-socket/package.json') as { name: string; version: string };
      const uart = socket.name === '@stoprocent/bluetooth-hci-socket';
      const needsUart = p.scanners.some((s) => s.port !== undefined);
      out.push(
        uart || !needsUart
          ? { level: 'ok', name: 'noble', detail: `installed; HCI socket ${socket.name}@${socket.version}` }
          : {
              level: 'fail',
              name: 'noble',
              detail: `HCI socket ${socket.name} has no UART driver`,
              fix: 'keep the npm override to @stoprocent/bluetooth-hci-socket (package.json) and run npm ci',
            },
      );
    } catch {
      out.push({ level: 'fail', name: 'noble', detail: 'not installed', fix: 'npm ci' });
    }
  } else {
    out.push({ level: 'ok', name: 'presence', detail: 'simulated scanners (demo): no controllers needed' });
    return out;
  }
  for (const s of p.scanners) {
    const name = `scanner ${s.name} (zone ${s.zone})`;
    if (s.port !== undefined) {
      if (!existsSync(s.port)) {
        out.push({
          level: 'fail',
          name,
          detail: `${s.port} does not exist (the gateway keeps retrying)`,
          fix: 'plug in the BLE dongle, or correct presence.scanners[].port (see "serial ports")',
        });
        continue;
      }
      if (!statSync(s.port).isCharacterDevice()) {
        out.push({ level: 'fail', name, detail: `${s.port} is not a serial device`, fix: 'point presence.scanners[].port at the dongle' });
        continue;
      }
      try {
        accessSync(s.port, constants.R_OK | constants.W_OK);
      } catch {
        out.push({ level: 'fail', name, detail: `no read/write access to ${s.port}`, fix: 'add the gateway user to the "dialout" group' });
        continue;
      }
      out.push({ level: 'ok', name, detail: `${s.port} present, H4 at ${s.baudRate} baud`, ...hint });
    } else {
      const dev = `/sys/class/bluetooth/hci${s.hciDevice}`;
      out.push(
        existsSync(dev)
          ? { level: 'ok', name, detail: `kernel controller hci${s.hciDevice} present`, ...hint }
          : {
              level: 'fail',
              name,
              detail: `no kernel controller hci${s.hciDevice}`,
              fix: 'check the adapter (hciconfig -a), or use a UART dongle with presence.scanners[].port',
            },
      );
    }
  }
  return out;
}

/** The radio map `presence.radioMap.file` names: readable, well formed, matching the scanners and zones. */
export function checkRadioMap(p: PresenceConfig): Finding[] {
  if (!p.radioMap || !presenceActive(p)) return [];
  try {
    const fp = loadRadioMap(p)!;
    return [
      { level: 'ok', name: 'radio map', detail: `${p.radioMap.file}: ${fp.map.points.length} points, ${fp.map.scanners.length} scanners; zones by radio map` },
    ];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return [
      {
        level: 'fail',
        name: 'radio map',
        detail: e.message,
        fix: 'record a calibration walk and run `trouw-gateway radio-map walk.csv --out <file>` (docs/presence.md, "Radio map"), or remove presence.radioMap',
      },
    ];
  }
}

const PROBE_FIX: Record<ProbeFailureKind, string> = {
  'port-missing': 'plug in the BLE dongle, or correct presence.scanners[].port (see "serial ports")',
  'port-busy': 'stop the gateway, then probe again; or run doctor without --probe-scanners while it runs',
  'no-access': 'add the gateway user to the "dialout" group',
  'no-answer': 'check the dongle runs HCI (H4) firmware at presence.scanners[].baudRate; replug it',
  'no-scan': 'replug the dongle; if it persists, its firmware does not take LE scan commands',
  'powered-off': 'replug the dongle and check its power (a powered USB hub)',
  other: 'see the reason; replug the dongle',
};

/**
 * `doctor --probe-scanners`: opens each configured controller with the gateway's own scanner
 * worker, in parallel, listens `listenMs`, and reports one finding per scanner: counts and the
 * strongest program-UUID level only (no address, token or per-device level).
 */
export async function probeScanners(p: PresenceConfig, listenMs: number): Promise<Finding[]> {
  if (!presenceActive(p) || p.driver !== 'noble') {
    return [{ level: 'ok', name: 'scanner probe', detail: 'nothing to probe (presence off, no scanners, or simulated scanners)' }];
  }
  const programPrefix = Buffer.from(IBEACON_PREFIX).toString('hex') + Buffer.from(uuidBytes(p.programUuid)).toString('hex');
  const accept = acceptPrefixes(p);
  const results = await Promise.all(scannerSpecs(p).map((spec) => probeScanner(spec, { accept, programPrefix, startTimeoutMs: p.startTimeoutMs, listenMs })));
  return results.map((r) => probeFinding(r, listenMs));
}

export function probeFinding(r: ProbeResult, listenMs: number): Finding {
  const name = `scanner ${r.scanner} probe`;
  if (!r.ok) return { level: 'fail', name, detail: `down: ${r.failure.reason}`, fix: PROBE_FIX[r.failure.kind] };
  const secs = `${Math.round(r.listenedMs / 100) / 10} s`;
  const parts = [
    `${r.programAdverts} program-UUID advert${r.programAdverts === 1 ? '' : 's'} heard in ${secs}`,
    ...(r.strongestDbm !== undefined ? [`strongest ${r.strongestDbm} dBm`] : []),
    ...(r.otherAccepted > 0 ? [`${r.otherAccepted} with a tag UUID`] : []),
    ...(r.heard !== undefined ? [`${r.heard} adverts of any kind`] : []),
  ];
  if (r.failedAfter) {
    return { level: 'fail', name, detail: `down: ${r.failedAfter.reason} (after scanning; ${parts.join(', ')})`, fix: PROBE_FIX[r.failedAfter.kind] };
  }
  const detail = `up: controller answered, scanning; ${parts.join(', ')}`;
  if (r.heard === 0 && r.listenedMs >= listenMs) {
    return { level: 'warn', name, detail, fix: 'the controller heard nothing at all: check its antenna and placement' };
  }
  return { level: 'ok', name, detail };
}
