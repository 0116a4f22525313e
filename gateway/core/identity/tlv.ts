/**
 * BER-TLV as EMV uses it (EMV Book 3 annex B, ISO/IEC 8825-1 subset). Card data is hostile
 * input: the parser never throws and never reads past the buffer; every problem is a value
 * with the offset where it was found. Values are views into the input (no copies), so wiping
 * the input wipes every value parsed from it.
 */
import { err, ok, type Result } from '../result';

export interface Tlv {
  /** The tag bytes as a number, e.g. 0x9F24, 0xBF0C (at most 3 tag bytes). */
  readonly tag: number;
  readonly constructed: boolean;
  /** A view into the parsed buffer. */
  readonly value: Uint8Array;
  /** For constructed tags: the parsed contents. */
  readonly children?: readonly Tlv[];
}

export type TlvErrorCode =
  'truncated-tag' | 'tag-too-long' | 'truncated-length' | 'indefinite-length' | 'length-too-long' | 'truncated-value' | 'too-deep' | 'too-many';

export interface TlvError {
  readonly code: TlvErrorCode;
  /** Byte offset in the outermost buffer. */
  readonly offset: number;
}

export interface TlvOptions {
  /** Nesting limit for constructed tags (default 8; EMV never needs more than 4). */
  maxDepth?: number;
  /** Limit on the number of TLVs in the whole buffer (default 512). */
  maxCount?: number;
}

interface Cursor {
  count: number;
}

const MAX_TAG_BYTES = 3;

function readTag(data: Uint8Array, at: number): Result<{ tag: number; next: number; constructed: boolean }, TlvError> {
  const first = data[at]!;
  let tag = first;
  let next = at + 1;
  if ((first & 0x1f) === 0x1f) {
    // Subsequent tag bytes follow while bit 8 is set.
    for (;;) {
      if (next >= data.length) return err({ code: 'truncated-tag', offset: at });
      const b = data[next]!;
      tag = tag * 256 + b;
      next++;
      if (next - at > MAX_TAG_BYTES) return err({ code: 'tag-too-long', offset: at });
      if ((b & 0x80) === 0) break;
    }
  }
  return ok({ tag, next, constructed: (first & 0x20) !== 0 });
}

function readLength(data: Uint8Array, at: number): Result<{ length: number; next: number }, TlvError> {
  if (at >= data.length) return err({ code: 'truncated-length', offset: at });
  const first = data[at]!;
  if (first < 0x80) return ok({ length: first, next: at + 1 });
  if (first === 0x80) return err({ code: 'indefinite-length', offset: at });
  const n = first & 0x7f;
  // Card responses are at most a few kilobytes: 3 length bytes (16 MiB) is already generous.
  if (n > 3) return err({ code: 'length-too-long', offset: at });
  if (at + 1 + n > data.length) return err({ code: 'truncated-length', offset: at });
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + data[at + 1 + i]!;
  return ok({ length, next: at + 1 + n });
}

function parseLevel(data: Uint8Array, base: number, depth: number, opts: Required<TlvOptions>, cursor: Cursor): Result<Tlv[], TlvError> {
  if (depth > opts.maxDepth) return err({ code: 'too-deep', offset: base });
  const out: Tlv[] = [];
  let at = 0;
  while (at < data.length) {
    // 00 and FF may pad before, between and after TLVs (EMV Book 3 B1, ISO 7816-4 5.2.2).
    if (data[at] === 0x00 || data[at] === 0xff) {
      at++;
      continue;
    }
    if (++cursor.count > opts.maxCount) return err({ code: 'too-many', offset: base + at });
    const tag = readTag(data, at);
    if (!tag.ok) return err({ ...tag.error, offset: base + tag.error.offset });
    const len = readLength(data, tag.value.next);
    if (!len.ok) return err({ ...len.error, offset: base + len.error.offset });
    const start = len.value.next;
    const end = start + len.value.length;
    if (end > data.length) return err({ code: 'truncated-value', offset: base + at });
    const value = data.subarray(start, end);
    if (tag.value.constructed) {
      const children = parseLevel(value, base + start, depth + 1, opts, cursor);
      if (!children.ok) return children;
      out.push({ tag: tag.value.tag, constructed: true, value, children: children.value });
    } else {
      out.push({ tag: tag.value.tag, constructed: false, value });
    }
    at = end;
  }
  return ok(out);
}

/** Parses a sequence of BER-TLVs. */
export function parseTlv(data: Uint8Array, opts: TlvOptions = {}): Result<Tlv[], TlvError> {
  return parseLevel(data, 0, 0, { maxDepth: opts.maxDepth ?? 8, maxCount: opts.maxCount ?? 512 }, { count: 0 });
}

/** Depth-first search for the first TLV with `tag`. */
export function findTag(tlvs: readonly Tlv[], tag: number): Tlv | undefined {
  for (const t of tlvs) {
    if (t.tag === tag) return t;
    if (t.children) {
      const inner = findTag(t.children, tag);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Every TLV with `tag`, depth-first, in order of appearance. */
export function findAllTags(tlvs: readonly Tlv[], tag: number, out: Tlv[] = []): Tlv[] {
  for (const t of tlvs) {
    if (t.tag === tag) out.push(t);
    if (t.children) findAllTags(t.children, tag, out);
  }
  return out;
}

export interface DolEntry {
  readonly tag: number;
  readonly length: number;
}

/**
 * A Data Object List (PDOL, CDOL): tags and lengths without values (EMV Book 3 5.4).
 * No padding is skipped here: a DOL has none, and 00 is not a valid tag.
 */
export function parseDol(data: Uint8Array): Result<DolEntry[], TlvError> {
  const out: DolEntry[] = [];
  let at = 0;
  while (at < data.length) {
    if (out.length >= 64) return err({ code: 'too-many', offset: at });
    const tag = readTag(data, at);
    if (!tag.ok) return tag;
    const len = readLength(data, tag.value.next);
    if (!len.ok) return len;
    out.push({ tag: tag.value.tag, length: len.value.length });
    at = len.value.next;
  }
  return ok(out);
}
