/**
 * trouw-gateway: the headless gateway for store IT.
 *   trouw-gateway start        [--config FILE]   run the gateway
 *   trouw-gateway check-config [--config FILE]   validate the config and exit
 *   trouw-gateway doctor       [--config FILE] [--probe-scanners [--probe-seconds 5]]
 *                                                what it sees, what is missing, how to fix it
 *   trouw-gateway radio-map    <survey.csv> [--out FILE] [--bin-ms MS]   a radio map from a calibration walk
 *   trouw-gateway install-service [--config FILE] [--user trouw] [--out FILE | --print]
 *   trouw-gateway backup --out FILE [--config FILE]   an online copy while the gateway runs
 *   trouw-gateway restore FILE [--config FILE]        refused while a gateway runs
 * The config file may also come from TROUW_CONFIG; TROUW_<SECTION>__<KEY> overrides values.
 */
import { exitCodeOf, isFault } from '../core/faults';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load';

const USAGE = `usage: trouw-gateway <start|check-config|doctor|create-card-key> [--config FILE]
       trouw-gateway doctor [--config FILE] [--probe-scanners [--probe-seconds 5]]
       trouw-gateway radio-map <survey.csv> [--out map.json] [--bin-ms 2000]
       trouw-gateway install-service [--config /etc/trouw/gateway.json] [--user trouw] [--out FILE | --print]
       trouw-gateway backup --out FILE [--config FILE]
       trouw-gateway restore FILE [--config FILE]

  start          run the gateway (till lanes, ledger, HTTP health on /healthz, /readyz)
  check-config   validate the configuration file and environment overrides, then exit
  doctor         list serial ports, lanes, database and optional subsystems, with fixes.
                 --probe-scanners: also open each BLE scanner's controller (stop the gateway
                 first: it holds them), listen --probe-seconds (default 5) and report per
                 scanner up (adverts heard, strongest level) or down with the reason
  create-card-key  write a new random card key to cards.keyFile (mode 600; never overwrites).
                 A chain shares one key (HQ's staff list and card links depend on it):
                 use this for a test store only, otherwise install the chain's key.
  radio-map      build a radio map (presence.radioMap.file) from a calibration walk recorded
                 as CSV: time (s) or time_ms, scanner, rssi, zone (or true_zone), device;
                 summary to stderr, the map to --out or stdout; --bin-ms: one point per bin
  install-service  write the systemd unit (default /etc/systemd/system/trouw-gateway.service;
                 --print: to stdout) for this node and checkout, checked with systemd-analyze
  backup         a consistent copy of the ledger database while the gateway runs (SQLite
                 online backup), checked (integrity, ledger audit); never overwrites --out
  restore        put a backup in place of the database (checked first; the old one is kept
                 beside it); refused while a gateway runs on the database

Environment: TROUW_CONFIG=FILE, TROUW_<SECTION>__<KEY>=VALUE (e.g. TROUW_HTTP__PORT=8081)`;

async function main(argv: string[]): Promise<number> {
  // Its own options (--out, --bin-ms), and no config: it runs on the installer's laptop too.
  if (argv[0] === 'radio-map') return (await import('./radio-map')).runRadioMap(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      'probe-scanners': { type: 'boolean' },
      'probe-seconds': { type: 'string' },
      out: { type: 'string' },
      user: { type: 'string' },
      print: { type: 'boolean' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const file = values.config;
  switch (command) {
    case 'start':
      return (await import('./start')).runStart(file);
    case 'check-config':
      return (await import('./check-config')).runCheckConfig(file);
    case 'doctor': {
      const seconds = values['probe-seconds'];
      if (seconds !== undefined && !values['probe-scanners']) {
        console.error('trouw-gateway: --probe-seconds goes with --probe-scanners');
        return 2;
      }
      const n = Number(seconds ?? '5');
      if (!(Number.isFinite(n) && n > 0 && n <= 600)) {
        console.error(`trouw-gateway: --probe-seconds ${seconds}: expected a number of seconds, above 0 and at most 600`);
        return 2;
      }
      return (await import('./doctor')).runDoctor(file, values['probe-scanners'] ? { probeScannersMs: Math.round(n * 1000) } : {});
    }
    case 'install-service':
      return (await import('./service-commands')).runInstallService({ config: file, user: values.user, out: values.out, print: values.print });
    case 'backup':
      return (await import('./service-commands')).runBackup({ config: file, out: values.out });
    case 'restore':
      return (await import('./service-commands')).runRestore({ config: file, file: positionals[1] });
    case 'create-card-key':
      return (await import('./create-card-key')).runCreateCardKey(file);
    default:
      console.error(`trouw-gateway: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (e: unknown) => {
    // The gateway's own faults (gateway/core/faults.ts): one line, the catalogue's exit code.
    if (isFault(e)) {
      console.error(`trouw-gateway: ${e.message} [${e.code}]`);
      process.exitCode = exitCodeOf(e);
      return;
    }
    // Refusals store IT acts on: one line, no stack (a database from a newer gateway, a
    // gateway already running on the database, a backup that does not check out).
    if (['DB_TOO_NEW', 'GATEWAY_RUNNING', 'BACKUP_BAD'].includes((e as { code?: string }).code ?? '')) {
      console.error(`trouw-gateway: ${(e as Error).message}`);
      process.exitCode = 1;
      return;
    }
    if (e instanceof ConfigError || (e as { code?: string }).code === 'CARD_KEY') {
      console.error((e as Error).message);
      process.exitCode = 2;
      return;
    }
    console.error(`trouw-gateway: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
