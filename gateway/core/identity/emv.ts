/**
 * Reading an identifier from a contactless EMV card (bank card, OV-pas): EMV Book 1 §12 and
 * Book 3 §10, the contactless kernels' common start (EMV Book B):
 *   SELECT PPSE → SELECT AID (highest priority from the PPSE FCI) → GET PROCESSING OPTIONS
 *   with the PDOL filled → READ RECORD for every record the AFL names.
 * The identifier is the PAR (9F24, stable across card renewals) when the card has one,
 * else the PAN (5A, or the digits before the separator in track 2 equivalent data, 57).
 *
 * No transaction is made: the GPO carries amount 0 and no cryptogram is asked for. The card
 * data never becomes a string; identifiers are ASCII bytes the caller hashes and wipes.
 */
import { err, ok, type Result } from '../result';
import { SW_OK, swHex, type ApduError, type CardChannel } from './apdu';
import { concatBytes, wipe } from './bytes';
import { findAllTags, findTag, parseDol, parseTlv, type DolEntry, type Tlv } from './tlv';

export type EmvStep = 'ppse' | 'select' | 'gpo' | 'record';

export type EmvFailureCode =
  /** PPSE not selectable: not an EMV card (or a contact-only one). */
  'not-emv' | 'no-application' | 'bad-status' | 'malformed' | 'no-identifier' | ApduError['code'];

export interface EmvFailure {
  readonly code: EmvFailureCode;
  readonly step: EmvStep;
  /** The status word, when a command failed on one (not card data). */
  readonly sw?: number;
}

export interface EmvIdentifier {
  readonly source: 'par' | 'pan' | 'track2';
  /** ASCII (PAN digits or PAR characters). The caller must wipe it after use. */
  readonly bytes: Uint8Array;
}

export interface EmvOptions {
  /** Transaction date for the PDOL (9A), epoch ms. */
  nowMs: number;
  /** 9F37; the adapter passes 4 random bytes. Zeros when absent. */
  unpredictableNumber?: Uint8Array;
  /** At most this many READ RECORDs (default 24): AFLs of real cards name 2 to 10. */
  maxRecords?: number;
}

const PPSE = Uint8Array.from([0x32, 0x50, 0x41, 0x59, 0x2e, 0x53, 0x59, 0x53, 0x2e, 0x44, 0x44, 0x46, 0x30, 0x31]); // "2PAY.SYS.DDF01"

export function selectCommand(name: Uint8Array): Uint8Array {
  return Uint8Array.from([0x00, 0xa4, 0x04, 0x00, name.length, ...name, 0x00]);
}

export const SELECT_PPSE = selectCommand(PPSE);

export function readRecordCommand(sfi: number, record: number): Uint8Array {
  return Uint8Array.from([0x00, 0xb2, record, (sfi << 3) | 0x04, 0x00]);
}

function bcdDate(nowMs: number): Uint8Array {
  const d = new Date(nowMs);
  const bcd = (n: number) => ((Math.floor(n / 10) % 10) << 4) | (n % 10);
  return Uint8Array.from([bcd(d.getUTCFullYear() % 100), bcd(d.getUTCMonth() + 1), bcd(d.getUTCDate())]);
}

/**
 * Terminal data for the PDOL: what an attended, online-capable EU reader would send, with
 * amount 0 (EMV Book 4 annex A; TTQ per the contactless kernels). `numeric` values (format
 * n) are right-aligned when the card asks for another length, the rest left-aligned.
 */
function terminalData(opts: EmvOptions): Map<number, { value: Uint8Array; numeric: boolean }> {
  const b = (...bytes: number[]) => Uint8Array.from(bytes);
  return new Map([
    [0x9f66, { value: b(0x36, 0x00, 0x40, 0x00), numeric: false }], // TTQ: qVSDC, contact chip, online PIN, signature, CDCVM
    [0x9f02, { value: b(0, 0, 0, 0, 0, 0), numeric: true }], // amount authorised: 0
    [0x9f03, { value: b(0, 0, 0, 0, 0, 0), numeric: true }], // amount other
    [0x9f1a, { value: b(0x05, 0x28), numeric: true }], // terminal country: NL
    [0x5f2a, { value: b(0x09, 0x78), numeric: true }], // currency: EUR
    [0x95, { value: b(0, 0, 0, 0, 0), numeric: false }], // TVR
    [0x9a, { value: bcdDate(opts.nowMs), numeric: true }], // transaction date
    [0x9c, { value: b(0x00), numeric: true }], // transaction type: purchase
    [0x9f37, { value: opts.unpredictableNumber?.slice(0, 4) ?? b(0, 0, 0, 0), numeric: false }],
    [0x9f35, { value: b(0x22), numeric: true }], // terminal type: attended, merchant, online+offline
    [0x9f33, { value: b(0xe0, 0x08, 0x08), numeric: false }], // terminal capabilities
    [0x9f40, { value: b(0x60, 0x00, 0x00, 0x50, 0x01), numeric: false }], // additional capabilities
  ]);
}

/** Fills a PDOL; tags we do not know get zeros of the asked length. */
export function fillDol(entries: readonly DolEntry[], opts: EmvOptions): Uint8Array {
  const known = terminalData(opts);
  const parts = entries.map(({ tag, length }) => {
    const out = new Uint8Array(length);
    const d = known.get(tag);
    if (d) {
      if (d.numeric) {
        const take = Math.min(length, d.value.length);
        out.set(d.value.subarray(d.value.length - take), length - take);
      } else {
        out.set(d.value.subarray(0, Math.min(length, d.value.length)));
      }
    }
    return out;
  });
  return concatBytes(...parts);
}

function gpoCommand(pdolData: Uint8Array): Uint8Array {
  return Uint8Array.from([0x80, 0xa8, 0x00, 0x00, pdolData.length + 2, 0x83, pdolData.length, ...pdolData, 0x00]);
}

/** BCD digits to ASCII until the F padding (5A); undefined unless 12–19 clean digits. */
function panFromBcd(value: Uint8Array): Uint8Array | undefined {
  const digits = new Uint8Array(value.length * 2);
  let n = 0;
  let ended = false;
  for (const byte of value) {
    for (const nib of [byte >> 4, byte & 0x0f]) {
      if (ended) {
        if (nib !== 0x0f) return fail();
      } else if (nib <= 9) digits[n++] = 0x30 + nib;
      else if (nib === 0x0f) ended = true;
      else return fail();
    }
  }
  if (n < 12 || n > 19) return fail();
  const out = digits.slice(0, n);
  wipe(digits);
  return out;
  function fail() {
    wipe(digits);
    return undefined;
  }
}

/** The PAN in track 2 equivalent data (57): digits up to the D separator. */
function panFromTrack2(value: Uint8Array): Uint8Array | undefined {
  const digits = new Uint8Array(19);
  let n = 0;
  for (const byte of value) {
    for (const nib of [byte >> 4, byte & 0x0f]) {
      if (nib === 0x0d) {
        const out = n >= 12 ? digits.slice(0, n) : undefined;
        wipe(digits);
        return out;
      }
      if (nib > 9 || n === 19) {
        wipe(digits);
        return undefined;
      }
      digits[n++] = 0x30 + nib;
    }
  }
  wipe(digits);
  return undefined;
}

/** PAR (9F24): 29 alphanumeric characters (EMVCo PAR specification). Zeros mean "none". */
function parOf(value: Uint8Array): Uint8Array | undefined {
  if (value.length !== 29) return undefined;
  for (const c of value) {
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum) return undefined;
  }
  return value.slice();
}

interface Found {
  par?: Uint8Array;
  pan?: Uint8Array;
  track2?: Uint8Array;
}

function collect(tlvs: readonly Tlv[], found: Found): void {
  const par = findTag(tlvs, 0x9f24);
  if (par && !found.par) found.par = parOf(par.value);
  const pan = findTag(tlvs, 0x5a);
  if (pan && !found.pan) found.pan = panFromBcd(pan.value);
  const t2 = findTag(tlvs, 0x57);
  if (t2 && !found.track2) found.track2 = panFromTrack2(t2.value);
}

interface AppEntry {
  aid: Uint8Array;
  priority: number;
}

/** Applications from the PPSE FCI (6F > A5 > BF0C > 61*), highest priority first. */
function applications(fci: readonly Tlv[]): AppEntry[] {
  const apps: AppEntry[] = [];
  for (const entry of findAllTags(fci, 0x61)) {
    const aid = entry.children && findTag(entry.children, 0x4f);
    if (!aid || aid.value.length < 5 || aid.value.length > 16) continue;
    const prio = entry.children && findTag(entry.children, 0x87);
    // Priority 1 is highest; 0 or absent means "no priority" and sorts last (Book 1 §12.2.3).
    const p = prio && prio.value.length === 1 ? prio.value[0]! & 0x0f : 0;
    apps.push({ aid: aid.value.slice(), priority: p === 0 ? 16 : p });
  }
  return apps.sort((a, b) => a.priority - b.priority).slice(0, 4);
}

/**
 * Runs the flow. Returns the identifier, or why there is none. Never throws on card data;
 * every response buffer is wiped before this returns.
 */
export async function readEmvIdentifier(channel: CardChannel, opts: EmvOptions): Promise<Result<EmvIdentifier, EmvFailure>> {
  const found: Found = {};
  try {
    const result = await run(channel, opts, found);
    if (!result.ok) return result;
    const pick: EmvIdentifier | undefined = found.par
      ? { source: 'par', bytes: found.par }
      : found.pan
        ? { source: 'pan', bytes: found.pan }
        : found.track2
          ? { source: 'track2', bytes: found.track2 }
          : undefined;
    if (!pick) return err({ code: 'no-identifier', step: 'record' });
    // Hand the chosen bytes over; wipe the rest below.
    if (pick.source === 'par') found.par = undefined;
    else if (pick.source === 'pan') found.pan = undefined;
    else found.track2 = undefined;
    return ok(pick);
  } finally {
    wipe(found.par, found.pan, found.track2);
  }
}

async function run(channel: CardChannel, opts: EmvOptions, found: Found): Promise<Result<true, EmvFailure>> {
  // 1. PPSE
  const ppse = await channel.exchange(SELECT_PPSE);
  if (!ppse.ok) return err({ code: ppse.error.code, step: 'ppse' });
  let apps: AppEntry[];
  try {
    if (ppse.value.sw !== SW_OK) return err({ code: 'not-emv', step: 'ppse', sw: ppse.value.sw });
    const fci = parseTlv(ppse.value.data);
    if (!fci.ok) return err({ code: 'malformed', step: 'ppse' });
    apps = applications(fci.value);
  } finally {
    wipe(ppse.value.data);
  }
  if (apps.length === 0) return err({ code: 'no-application', step: 'ppse' });

  // 2. SELECT AID, in priority order, until one answers 9000.
  let pdol: DolEntry[] | undefined;
  let lastSw: number | undefined;
  for (const app of apps) {
    const sel = await channel.exchange(selectCommand(app.aid));
    if (!sel.ok) return err({ code: sel.error.code, step: 'select' });
    try {
      if (sel.value.sw !== SW_OK) {
        lastSw = sel.value.sw;
        continue;
      }
      const fci = parseTlv(sel.value.data);
      if (!fci.ok) return err({ code: 'malformed', step: 'select' });
      const dol = findTag(fci.value, 0x9f38);
      const parsed = dol ? parseDol(dol.value) : ok([]);
      if (!parsed.ok) return err({ code: 'malformed', step: 'select' });
      pdol = parsed.value;
      break;
    } finally {
      wipe(sel.value.data);
    }
  }
  if (!pdol) return err({ code: 'no-application', step: 'select', ...(lastSw !== undefined ? { sw: lastSw } : {}) });

  // 3. GET PROCESSING OPTIONS
  const pdolData = fillDol(pdol, opts);
  if (pdolData.length > 250) return err({ code: 'malformed', step: 'gpo' });
  const gpo = await channel.exchange(gpoCommand(pdolData));
  if (!gpo.ok) return err({ code: gpo.error.code, step: 'gpo' });
  let afl: Uint8Array;
  try {
    if (gpo.value.sw !== SW_OK) return err({ code: 'bad-status', step: 'gpo', sw: gpo.value.sw });
    const tlvs = parseTlv(gpo.value.data);
    if (!tlvs.ok || tlvs.value.length === 0) return err({ code: 'malformed', step: 'gpo' });
    const top = tlvs.value[0]!;
    if (top.tag === 0x80) {
      // Format 1: AIP (2 bytes) ‖ AFL.
      if (top.value.length < 2) return err({ code: 'malformed', step: 'gpo' });
      afl = top.value.slice(2);
    } else if (top.tag === 0x77) {
      // Format 2: a template; some cards put track 2, PAN or PAR right here.
      afl = findTag(tlvs.value, 0x94)?.value.slice() ?? new Uint8Array(0);
      collect(tlvs.value, found);
    } else {
      return err({ code: 'malformed', step: 'gpo' });
    }
  } finally {
    wipe(gpo.value.data);
  }

  // 4. READ RECORD per AFL entry: SFI (5 bits), first, last, records for ODA.
  if (afl.length % 4 !== 0) return err({ code: 'malformed', step: 'gpo' });
  const maxRecords = opts.maxRecords ?? 24;
  let reads = 0;
  for (let i = 0; i < afl.length && !found.par; i += 4) {
    const sfi = afl[i]! >> 3;
    const first = afl[i + 1]!;
    const last = afl[i + 2]!;
    if (sfi < 1 || sfi > 30 || first < 1 || last < first) return err({ code: 'malformed', step: 'gpo' });
    for (let rec = first; rec <= last && !found.par; rec++) {
      if (++reads > maxRecords) return err({ code: 'apdu-limit', step: 'record' });
      const r = await channel.exchange(readRecordCommand(sfi, rec));
      if (!r.ok) return err({ code: r.error.code, step: 'record' });
      try {
        if (r.value.sw !== SW_OK) return err({ code: 'bad-status', step: 'record', sw: r.value.sw });
        // Records of SFI 11–30 are issuer-proprietary and need not be TLV: skip what is not a 70 template.
        if (r.value.data[0] !== 0x70) {
          if (sfi <= 10) return err({ code: 'malformed', step: 'record' });
          continue;
        }
        const tlvs = parseTlv(r.value.data);
        if (!tlvs.ok) return err({ code: 'malformed', step: 'record' });
        collect(tlvs.value, found);
      } finally {
        wipe(r.value.data);
      }
    }
  }
  return ok(true);
}

/** A short, card-data-free description of a failure for logs and health. */
export function describeEmvFailure(f: EmvFailure): string {
  return `emv ${f.step}: ${f.code}${f.sw !== undefined ? ` (sw ${swHex(f.sw)})` : ''}`;
}
