/**
 * Every kiosk has a screen key (issue 14): its event stream carries session tokens, so only
 * its own screen may watch it. A key in `kiosk.screenKeys` is used as given; a kiosk without
 * one gets a key generated at first start, kept in `<data dir>/kiosk-screen-keys.json`
 * (mode 0600) and printed once, for pairing the kiosk (put it in the kiosk URL, `&key=`).
 * There is no keyless kiosk. Keys are compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ScreenKeys {
  /** The kiosks that have a key: every configured kiosk. */
  readonly kiosks: readonly string[];
  /** True when `given` is this kiosk's key. */
  matches(kiosk: string, given: string | undefined): boolean;
  /** The key itself, for the pairing URL (demo, tests); never logged. */
  keyOf(kiosk: string): string | undefined;
}

export const SCREEN_KEYS_FILE = 'kiosk-screen-keys.json';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The keys kept by an earlier start; a file that is not a JSON object of strings stops the start. */
function readStored(file: string): Record<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)}); fix it or remove it to generate new kiosk keys`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((k) => typeof k !== 'string')) {
    throw new Error(`${file}: expected {"<kiosk id>": "<key>", …}; fix it or remove it to generate new kiosk keys`);
  }
  return v as Record<string, string>;
}

/** Keys from a map (tests, or every kiosk configured). */
export function screenKeysFrom(keys: Readonly<Record<string, string>>): ScreenKeys {
  const digests = new Map(Object.entries(keys).map(([k, v]) => [k, digest(v)]));
  return {
    kiosks: [...digests.keys()],
    // Digests have equal length, so timingSafeEqual needs no length check that leaks.
    matches: (kiosk, given) => {
      const want = digests.get(kiosk);
      return want !== undefined && typeof given === 'string' && given !== '' && timingSafeEqual(want, digest(given));
    },
    keyOf: (kiosk) => keys[kiosk],
  };
}

/**
 * The configured keys, plus a generated one for each kiosk that has none (kept in `dataDir`).
 * `print` is told once about each key it generated (the pairing moment).
 */
export function ensureScreenKeys(o: {
  kiosks: readonly string[];
  configured: Readonly<Record<string, string>>;
  /** The data directory (where the database lives); undefined: keys live in memory only. */
  dataDir: string | undefined;
  print: (line: string) => void;
}): ScreenKeys {
  const file = o.dataDir === undefined ? undefined : join(o.dataDir, SCREEN_KEYS_FILE);
  const stored = file && existsSync(file) ? readStored(file) : {};
  const keys: Record<string, string> = {};
  const generated: string[] = [];
  for (const kiosk of o.kiosks) {
    const key = o.configured[kiosk] ?? stored[kiosk];
    if (typeof key === 'string' && key.length >= 16) keys[kiosk] = key;
    else {
      keys[kiosk] = randomBytes(24).toString('base64url');
      stored[kiosk] = keys[kiosk];
      generated.push(kiosk);
    }
  }
  if (generated.length && file && o.dataDir !== undefined) {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }
  for (const kiosk of generated) {
    o.print(`kiosk ${kiosk}: screen key generated${file ? ` (kept in ${file})` : ''}; pair the kiosk with /kiosk/?kiosk=${kiosk}&key=${keys[kiosk]}`);
  }
  return screenKeysFrom(keys);
}
