/**
 * `doctor`: what the gateway sees on this machine and what is missing, each with a fix.
 * It only looks: it never creates the database or takes a port the gateway would use —
 * except with `--probe-scanners`, which opens each BLE controller for a few seconds through
 * the gateway's own scanner worker (so the gateway must not be running meanwhile).
 */
import { loadConfig, ConfigError } from '../config/load';
import { checkPresence, checkRadioMap, probeScanners } from './presence-doctor';
import { checkDatabase, checkLane, checkSerialPorts, checkHttpPort, checkCardStack, type Finding } from './doctor-checks';

const MARK = { ok: '✔', warn: '!', fail: '✖' } as const;

function print(f: Finding): void {
  console.log(`${MARK[f.level]} ${f.name}: ${f.detail}${f.fix ? `\n    fix: ${f.fix}` : ''}${f.hint ? `\n    hint: ${f.hint}` : ''}`);
}

export interface DoctorOptions {
  /** Open each presence scanner's controller and listen this long (ms); absent: do not. */
  probeScannersMs?: number;
}

export async function runDoctor(file: string | undefined, opts: DoctorOptions = {}): Promise<number> {
  console.log(`trouw-gateway doctor (node ${process.version}, ${process.platform}/${process.arch})`);
  let config;
  try {
    config = loadConfig({ file });
    print({ level: 'ok', name: 'config', detail: `${file ?? process.env.TROUW_CONFIG ?? '(defaults)'} is valid` });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    print({ level: 'fail', name: 'config', detail: e.message, fix: 'correct that key, then run `trouw-gateway check-config`' });
    return 1;
  }
  const findings: Finding[] = [
    checkDatabase(config.database.path),
    ...(await checkSerialPorts()),
    ...(await Promise.all(config.lanes.map((lane) => checkLane(lane)))),
    await checkHttpPort(config.http.host, config.http.port),
    ...checkCardStack(),
    ...checkPresence(config.presence, { probing: opts.probeScannersMs !== undefined }),
    ...checkRadioMap(config.presence),
  ];
  findings.forEach(print);
  if (opts.probeScannersMs !== undefined) {
    const n = config.presence.scanners.length;
    if (n > 0 && config.presence.enabled && config.presence.driver === 'noble') {
      console.log(
        `probing ${n} scanner(s) at once: up to ${config.presence.startTimeoutMs / 1000} s to start scanning (presence.startTimeoutMs), then ${opts.probeScannersMs / 1000} s listening…`,
      );
    }
    const probed = await probeScanners(config.presence, opts.probeScannersMs);
    probed.forEach(print);
    findings.push(...probed);
  }
  const failed = findings.filter((f) => f.level === 'fail').length;
  console.log(failed ? `${failed} problem(s) found` : 'no problems found');
  return failed ? 1 : 0;
}
