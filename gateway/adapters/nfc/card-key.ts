/**
 * The card key (issue 3): from the environment (TROUW_CARDS__KEY → `cards.key`, hex) or from
 * a key file that only its owner can read. A key file readable by group or others, or owned
 * by another user, is refused: whoever can read it can link tokens back to card numbers.
 * File format: 64–128 hex characters (whitespace ignored), or at least 32 raw bytes.
 */
import { randomBytes } from 'node:crypto';
import { openSync, fstatSync, readFileSync, closeSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { err, ok, type Result } from '../../core/result';
import { CARD_KEY_BYTES } from '../../core/identity/token';

export type CardKeyProblem =
  | { code: 'missing'; message: string }
  | { code: 'unreadable'; message: string }
  | { code: 'insecure-permissions'; message: string }
  | { code: 'wrong-owner'; message: string }
  | { code: 'bad-format'; message: string };

const HEX_KEY = /^(?:[0-9a-fA-F]{2}){32,64}$/;

function fromText(bytes: Buffer): Buffer | undefined {
  const text = bytes.toString('latin1').replace(/\s+/g, '');
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  return bytes.length >= CARD_KEY_BYTES ? Buffer.from(bytes) : undefined;
}

export function loadCardKey(opts: { key?: string; keyFile?: string }): Result<Buffer, CardKeyProblem> {
  if (opts.key !== undefined) {
    if (!HEX_KEY.test(opts.key)) return err({ code: 'bad-format', message: `cards.key: expected ${CARD_KEY_BYTES}–64 bytes as hex` });
    return ok(Buffer.from(opts.key, 'hex'));
  }
  if (!opts.keyFile) return err({ code: 'missing', message: 'no card key: set TROUW_CARDS__KEY or cards.keyFile' });
  const path = opts.keyFile;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err({ code: code === 'ENOENT' ? 'missing' : 'unreadable', message: `card key file ${path}: ${code}` });
  }
  try {
    // fstat on the open descriptor: the file checked is the file read.
    const st = fstatSync(fd);
    if (!st.isFile()) return err({ code: 'unreadable', message: `card key file ${path}: not a regular file` });
    if ((st.mode & 0o077) !== 0) {
      return err({
        code: 'insecure-permissions',
        message: `card key file ${path} has mode ${(st.mode & 0o777).toString(8)}: others can read it; chmod 600 ${path}`,
      });
    }
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      return err({ code: 'wrong-owner', message: `card key file ${path} belongs to uid ${st.uid}, not to the gateway's user (${process.getuid()})` });
    }
    const raw = readFileSync(fd);
    const key = fromText(raw);
    raw.fill(0);
    if (!key) return err({ code: 'bad-format', message: `card key file ${path}: expected 64–128 hex characters or at least ${CARD_KEY_BYTES} bytes` });
    return ok(key);
  } finally {
    closeSync(fd);
  }
}

/** Writes a new random key (hex) with mode 0600; fails if the file exists. For setup and the demo. */
export function createCardKeyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${randomBytes(CARD_KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
}
