/**
 * Tuning aid (issue 15): the engine in level mode on the public recordings with presence
 * config overrides given as JSON, one line per archive (no map, no baselines: quick).
 *   npx tsx test/bench/presence-real-tune.ts '{"motion":{"stillWindowMs":12000}}' [philo-4x3,uci-corridor] [half:a|b]
 */
import { join } from 'node:path';
import { SetScore, enginePlacer, findBleData, readSet, unpacked } from './presence-real';
import { REAL_ARCHIVES, halves } from './presence-real-figures';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const names = process.argv[3] ? process.argv[3].split(',') : [...REAL_ARCHIVES];
const half = process.argv[4];
const dir = findBleData();
if (!dir) throw new Error('no ../shared/data/ble');
for (const n of names) {
  const set = readSet(unpacked(join(dir, `${n}.tar.gz`)));
  const [a] = halves(set);
  const inA = new Set(a.map((t) => t.name));
  // Moving tracks split by name parity for halves.
  const movingA = new Set(
    set.tracks
      .filter((t) => t.kind === 'moving')
      .filter((_, i) => i % 2 === 0)
      .map((t) => t.name),
  );
  const pick = (t: { name: string; kind: string }) =>
    half === 'moving' || half === 'static' ? t.kind === half : !half ? true : (t.kind === 'static' ? inA.has(t.name) : movingA.has(t.name)) === (half === 'a');
  const f = new SetScore().add(set, (t) => enginePlacer(set, t, { overrides }), pick).figures();
  const s = f.static;
  const m = f.moving;
  console.log(
    `${n.padEnd(12)} static ${s ? `${s.accuracy.toFixed(3)} / ${s.falseChangesPerHour.toFixed(2)}/h` : '-'}` +
      (m
        ? ` | moving ${m.accuracy.toFixed(3)} p90 ${m.enterDelayP90S.toFixed(1)} s missed ${m.missed}/${m.entries} fch ${m.falseChangesPerHour.toFixed(0)}/h`
        : '') +
      ` | ${f.evaluateUs?.toFixed(1)} µs`,
  );
}
