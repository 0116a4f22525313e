/**
 * `doctor` findings for presence (issue 4): is noble installed with the UART-capable HCI
 * socket, and is each scanner's controller where config says (port present, a character
 * device, readable and writable; or the kernel's hciN). Call from cli/doctor.ts next to the
 * lane checks. Does not open the ports: a running gateway holds them.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Finding } from '../cli/doctor-checks';
import type { PresenceConfig } from '../config/presence-schema';
import { ConfigError } from '../config/load';
import { presenceActive } from './presence-config';
import { loadRadioMap } from './radio-map-file';

const require = createRequire(import.meta.url);

export function checkPresence(p: PresenceConfig): Finding[] {
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
          : { level: 'fail', name: 'noble', detail: `HCI socket ${socket.name} has no UART driver`, fix: 'keep the npm override to @stoprocent/bluetooth-hci-socket (package.json) and run npm ci' },
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
        out.push({ level: 'fail', name, detail: `${s.port} does not exist (the gateway keeps retrying)`, fix: 'plug in the BLE dongle, or correct presence.scanners[].port (see "serial ports")' });
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
      out.push({ level: 'ok', name, detail: `${s.port} present, H4 at ${s.baudRate} baud` });
    } else {
      const dev = `/sys/class/bluetooth/hci${s.hciDevice}`;
      out.push(existsSync(dev)
        ? { level: 'ok', name, detail: `kernel controller hci${s.hciDevice} present` }
        : { level: 'fail', name, detail: `no kernel controller hci${s.hciDevice}`, fix: 'check the adapter (hciconfig -a), or use a UART dongle with presence.scanners[].port' });
    }
  }
  return out;
}

/** The radio map `presence.radioMap.file` names: readable, well formed, matching the scanners and zones. */
export function checkRadioMap(p: PresenceConfig): Finding[] {
  if (!p.radioMap || !presenceActive(p)) return [];
  try {
    const fp = loadRadioMap(p)!;
    return [{ level: 'ok', name: 'radio map', detail: `${p.radioMap.file}: ${fp.map.points.length} points, ${fp.map.scanners.length} scanners; zones by radio map` }];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return [{ level: 'fail', name: 'radio map', detail: e.message, fix: 'record a calibration walk and run `trouw-gateway radio-map walk.csv --out <file>` (docs/presence.md, "Radio map"), or remove presence.radioMap' }];
  }
}
