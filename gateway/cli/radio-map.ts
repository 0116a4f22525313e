/**
 * `trouw-gateway radio-map <survey.csv> [--out map.json] [--bin-ms 2000]`: a radio map from a
 * calibration walk's recording (docs/presence.md, "Radio map"). The summary goes to stderr,
 * the map to --out or stdout (so it can be piped). Exit 2 on a recording it cannot use.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RssiCsvError } from '../adapters/presence/rssi-csv';
import { radioMapFromCsv, radioMapJson, radioMapSummary } from '../config/radio-map-file';

export const RADIO_MAP_USAGE = 'usage: trouw-gateway radio-map <survey.csv> [--out map.json] [--bin-ms 2000]';

export function runRadioMap(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, 'bin-ms': { type: 'string', default: '2000' } } });
  } catch (e) {
    console.error(`radio-map: ${(e as Error).message}\n${RADIO_MAP_USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const csvPath = positionals[0];
  if (!csvPath || positionals.length > 1) {
    console.error(RADIO_MAP_USAGE);
    return 2;
  }
  const binMs = Number(values['bin-ms']);
  if (!Number.isInteger(binMs) || binMs < 100 || binMs > 60_000) {
    console.error(`radio-map: --bin-ms ${values['bin-ms']}: expected a whole number of ms from 100 to 60000`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch (e) {
    console.error(`radio-map: ${csvPath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return 2;
  }
  let built;
  try {
    built = radioMapFromCsv(text, { binMs, source: csvPath, createdAt: new Date().toISOString() });
  } catch (e) {
    if (!(e instanceof RssiCsvError)) throw e;
    console.error(`radio-map: ${csvPath}: ${e.message}`);
    return 2;
  }
  if (built.map.points.length === 0) {
    console.error(`radio-map: ${csvPath}: no points (no rows with a zone)`);
    return 2;
  }
  console.error(radioMapSummary(built));
  const json = radioMapJson(built.map);
  if (values.out) {
    writeFileSync(values.out, json);
    console.error(`  written to ${values.out}; set presence.radioMap.file to it`);
  } else {
    process.stdout.write(json);
  }
  return 0;
}
