/**
 * Issue 3, "No leak": after a run with the test bank card, its PAN and track 2 appear
 * nowhere the gateway writes: not in the SQLite files (the database, -wal and -shm, read as
 * raw bytes while the gateway runs and again after it stopped), not in its logs (everything
 * the process printed, at debug level), not in the outbox payloads.
 *
 * The gateway runs as its own process (bin/trouw-gateway.mjs start), so stdout and stderr
 * hold every line it printed, whoever printed it. The run: the bank card tapped at the till
 * unknown, linked at the service desk, tapped again and named by the till's identify, a sale;
 * the same account through chained APDUs, the PAR variant, and the same card refused at GPO,
 * pulled off mid-read and going silent (error paths are where card data tends to slip out).
 *
 * Proof that it bites (checked by hand on a copy of the tree, then thrown away): track 2
 * printed as a byte list on stdout fails the log check; the PAN digits put in the card-tap
 * outbox event fail the SQLite and outbox checks; track 2 written as a blob and deleted in
 * the same transaction fails the raw SQLite check alone (database and -wal).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, TEST_BANK_EXPIRY, TEST_BANK_PAN, TEST_PAR, type CardName } from '../../firmware-sim/cards/catalogue';
import { cardToken } from '../../gateway/core/identity/token';
import { track2 } from '../../firmware-sim/cards/emv-card';
import { vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import { freePort } from '../../firmware-sim/demo/free-port';
import { SimTill } from '../../firmware-sim/till/sim-till';
import type { TillResponse } from '../../gateway/core/till/messages';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { startPcscd, waitFor, type PcscdHandle } from '../support/pcscd';
import { startSocat, type PtyPair } from '../support/socat';
import { PCSCD_POLL_MS, presentCard } from '../bench/cards-vpcd';

const ADMIN = 'privacy-admin-token-0123456789';
const CARD_KEY = 'a7'.repeat(32);
const LANE_READER = 0;
const DESK_READER = 1;

// ---- every form the PAN and track 2 could take -------------------------------------------

const PAN = TEST_BANK_PAN;
const T2 = Buffer.from(track2(PAN, TEST_BANK_EXPIRY)); // BCD, 'D' separator, F-padded to whole bytes
const T2_HEX = T2.toString('hex').replace(/f+$/, ''); // 4761739001010119d2812201000000000000
const T2_DIGITS = T2_HEX.toUpperCase().split('D').join('='); // ISO 7813 ASCII form: PAN=YYMM…
const groups = (s: string, sep: string) => s.match(/.{1,4}/g)!.join(sep);
const bytes = (b: Buffer, sep: string, upper = false) => {
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join(sep);
  return upper ? hex.toUpperCase() : hex;
};
const decimalList = (b: Buffer) => new RegExp([...b].map((x) => `(?<!\\d)${x}(?!\\d)`).join('\\D{1,16}'));

const PAN_BCD = Buffer.from(PAN, 'hex');
const PAN_ASCII = Buffer.from(PAN, 'ascii');

/** Byte strings: searched in raw files and in text. */
const FORMS: [string, Buffer][] = [
  ['PAN as ASCII digits', PAN_ASCII],
  ['PAN as BCD bytes', PAN_BCD],
  ['PAN in groups of 4 with spaces', Buffer.from(groups(PAN, ' '))],
  ['PAN in groups of 4 with dashes', Buffer.from(groups(PAN, '-'))],
  ['PAN in groups of 4 with dots', Buffer.from(groups(PAN, '.'))],
  ['PAN, first 12 digits', Buffer.from(PAN.slice(0, 12))],
  ['PAN as UTF-16', Buffer.from(PAN, 'utf16le')],
  ['PAN digits hex-encoded', Buffer.from(PAN_ASCII.toString('hex'))],
  ['PAN BCD as spaced hex (lower)', Buffer.from(bytes(PAN_BCD, ' '))],
  ['PAN BCD as colon hex (upper)', Buffer.from(bytes(PAN_BCD, ':', true))],
  ['PAN BCD in base64', Buffer.from(PAN_BCD.toString('base64').replace(/=+$/, ''))],
  ['PAN digits in base64', Buffer.from(PAN_ASCII.toString('base64').replace(/=+$/, ''))],
  ['track 2 as BCD bytes', T2],
  ['track 2 as hex (lower)', Buffer.from(T2_HEX)],
  ['track 2 as hex (upper)', Buffer.from(T2_HEX.toUpperCase())],
  ['track 2 as ASCII with "="', Buffer.from(T2_DIGITS)],
  ['track 2 as spaced hex', Buffer.from(bytes(T2, ' ', true))],
  ['track 2 in base64', Buffer.from(T2.toString('base64').replace(/=+$/, ''))],
  ['track 2 separator and expiry after the PAN (BCD)', Buffer.from(`0119d${TEST_BANK_EXPIRY}`, 'hex')],
];

/** Patterns in text (logs, JSON): byte arrays printed as numbers (JSON of a Uint8Array, util.inspect). */
const PATTERNS: [string, RegExp][] = [
  ['PAN BCD bytes as a list of numbers', decimalList(PAN_BCD)],
  ['PAN ASCII bytes as a list of numbers', decimalList(PAN_ASCII)],
  ['track 2 bytes as a list of numbers', decimalList(T2.subarray(0, 10))],
  ['PAN digits with any separators', new RegExp(PAN.split('').join('[^0-9A-Za-z]{0,3}'))],
];

function leaksIn(data: Buffer): string[] {
  const found = FORMS.filter(([, form]) => data.includes(form)).map(([what]) => what);
  const text = data.toString('latin1');
  return found.concat(PATTERNS.filter(([, re]) => re.test(text)).map(([what]) => what));
}

// ---- the run ----------------------------------------------------------------------------

let pcscd: PcscdHandle;
let pair: PtyPair;
let dir: string;
let dataDir: string;
let logFile: string;
let gateway: GatewayProcess | undefined;
let till: SimTill;
let httpPort: number;
const answers: TillResponse[] = [];
/** Raw bytes of every file in the data directory: while the gateway ran, and after it stopped. */
const snapshots: { when: string; files: Map<string, Buffer> }[] = [];

function snapshot(when: string) {
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(dataDir)) files.set(f, readFileSync(join(dataDir, f)));
  snapshots.push({ when, files });
}

/** Card taps the gateway has reported so far (its outbox, read through a read-only connection). */
let reader: Database.Database | undefined;
const tappedCount = () => {
  reader ??= new Database(join(dataDir, 'gateway.db'), { readonly: true, fileMustExist: true });
  return (reader.prepare("SELECT count(*) AS n FROM outbox WHERE type = 'trouw.card.tapped.v1'").get() as { n: number }).n;
};

async function tap(name: CardName, reader = LANE_READER): Promise<void> {
  const before = tappedCount();
  await presentCard(CARDS[name](), { reader, seen: () => (tappedCount() > before ? true : undefined), settleMs: PCSCD_POLL_MS });
}

async function ask(exchange: ReturnType<SimTill['send']>): Promise<TillResponse> {
  const r = await exchange;
  if (!r.ok) throw new Error(`the till failed open: ${r.error.code} ${r.error.message}`);
  answers.push(r.value);
  return r.value;
}

const health = async () => (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as { devices: { kind: string; state: string }[] };

beforeAll(async () => {
  pcscd = await startPcscd();
  pair = await startSocat();
  dir = mkdtempSync(join(tmpdir(), 'trouw-cards-privacy-'));
  dataDir = join(dir, 'data');
  logFile = join(dir, 'gateway.log');
  httpPort = await freePort();
  gateway = spawnGateway({
    httpPort,
    logFile,
    env: {
      TROUW_DATABASE__PATH: join(dataDir, 'gateway.db'),
      TROUW_LOG__LEVEL: 'debug',
      TROUW_HTTP__ADMIN_TOKEN: ADMIN,
      TROUW_LANES: JSON.stringify([{ id: 'lane-1', transport: 'serial', path: pair.a }]),
      TROUW_TILL__RECONNECT_MIN_MS: '50',
      TROUW_MEMBERS: JSON.stringify([{ number: 'M-2001', name: 'Fleur Bos' }]),
      TROUW_LOYALTY__MINIMUM_SPEND_CENTS: '0',
      TROUW_CARDS__KEY: CARD_KEY,
      TROUW_CARDS__PCSCD_SOCKET: pcscd.socket,
      TROUW_CARDS__READERS: JSON.stringify([
        { match: vpcdReaderName(LANE_READER), place: 'lane:lane-1' },
        { match: vpcdReaderName(DESK_READER), place: 'kiosk:desk' },
      ]),
      TROUW_CARDS__DEBOUNCE_MS: '0',
      TROUW_CARDS__READ_TIMEOUT_MS: '2000',
      TROUW_CARDS__RETRY_MIN_MS: '200',
    },
  });
  await gateway.ready();
  await waitFor(
    'both card readers up',
    async () => (await health()).devices.filter((d) => d.kind === 'card-reader' && d.state === 'up').length === 2,
    30_000,
    100,
  );
  till = new SimTill({ transport: { kind: 'serial', path: pair.b }, journal: join(dir, 'till.jsonl'), lane: 'lane-1', seed: 5 });
  await till.open();

  await tap('bank-card');
  await ask(till.identify({ card: true }));
  await tap('bank-card', DESK_READER);
  const link = await fetch(`http://127.0.0.1:${httpPort}/api/members/M-2001/cards`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ place: 'kiosk:desk' }),
  });
  if (link.status !== 201) throw new Error(`linking the bank card failed: ${link.status} ${await link.text()}`);
  await tap('bank-card');
  await ask(till.identify({ card: true }));
  await ask(till.sale({ member: 'M-2001', lines: [{ sku: '8712100325953', category: 'bakery', qty: 4, amountCents: 1036 }] }));
  for (const name of ['bank-card-chained', 'bank-card-par', 'gpo-refused', 'removed-mid-read', 'silent'] as const) {
    await tap(name);
    await ask(till.identify({ card: true }));
  }
  await till.close();
  reader?.close(); // the gateway's own close must be the last one, as in a store
  snapshot('while the gateway ran');
  await gateway.kill('SIGTERM');
  gateway = undefined;
  snapshot('after the gateway stopped');
}, 120_000);

afterAll(async () => {
  await gateway?.kill('SIGKILL');
  await pair?.close();
  await pcscd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the test bank card leaves no PAN and no track 2 behind', () => {
  it('the run read the card: unknown, then linked and named at the till, points awarded', () => {
    expect(answers.map((a) => (a.type === 'identify.ok' ? (a.member?.number ?? a.reason) : a.type))).toEqual([
      'unknown-card',
      'M-2001',
      'sale.ok',
      'M-2001',
      'unknown-card',
      'card-unreadable',
      'card-unreadable',
      'card-unreadable',
    ]);
    // Not vacuous: the database had its WAL while the gateway ran, and the log is at debug level.
    const running = snapshots[0]!.files;
    expect(running.get('gateway.db-wal')?.length ?? 0).toBeGreaterThan(0);
    expect(running.has('gateway.db-shm')).toBe(true);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/"level":20/);
    expect(log).toContain('card tap');
  });

  it('the searches find every form when it is there (the check itself works)', () => {
    const planted = Buffer.concat([Buffer.from('x'), PAN_BCD, Buffer.from(` ${JSON.stringify([...T2])} `), Buffer.from(groups(PAN, ' '))]);
    expect(leaksIn(planted)).toEqual(expect.arrayContaining(['PAN as BCD bytes', 'track 2 bytes as a list of numbers', 'PAN in groups of 4 with spaces']));
    expect(leaksIn(Buffer.from('card 47617390/01010119'))).toEqual(['PAN digits with any separators']);
    expect(leaksIn(Buffer.from(`{"pan":"${'5413330089600010'}","t2":"${T2_HEX.replace(PAN, '4000000000000002')}"}`))).toEqual([]);
  });

  it('not in the SQLite files (database, -wal, -shm), raw bytes, while running and after stop', () => {
    const leaks: string[] = [];
    for (const { when, files } of snapshots) {
      for (const [name, data] of files) for (const what of leaksIn(data)) leaks.push(`${name} (${when}): ${what}`);
    }
    expect(leaks).toEqual([]);
  });

  it('not in anything the gateway process printed, at debug level; nor the card tokens or the member number (DESIGN §9)', () => {
    const log = readFileSync(logFile);
    expect(leaksIn(log)).toEqual([]);
    const key = Buffer.from(CARD_KEY, 'hex');
    for (const token of [cardToken(key, 'emv', Buffer.from(PAN)), cardToken(key, 'emv', Buffer.from(TEST_PAR))]) expect(log.includes(token)).toBe(false);
    expect(log.includes('M-2001')).toBe(false);
  });

  it('not in the outbox payloads', () => {
    const db = new Database(join(dataDir, 'gateway.db'), { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT type, data FROM outbox ORDER BY seq').all() as { type: string; data: string }[];
    db.close();
    expect(rows.filter((r) => r.type === 'trouw.card.tapped.v1')).toHaveLength(8);
    expect(rows.map((r) => r.type)).toContain('trouw.card.linked.v1');
    const leaks = rows.flatMap((r) => leaksIn(Buffer.from(r.data)).map((what) => `${r.type}: ${what}`));
    expect(leaks).toEqual([]);
  });
});
