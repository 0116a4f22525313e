import { chmodSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCardKeyFile, loadCardKey } from '../../gateway/adapters/nfc/card-key';

const dir = mkdtempSync(join(tmpdir(), 'trouw-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HEX = 'ab'.repeat(32);

describe('card key', () => {
  it('takes the key from the environment (cards.key) first', () => {
    const r = loadCardKey({ key: HEX, keyFile: join(dir, 'absent') });
    expect(r.ok && r.value.toString('hex')).toBe(HEX);
    expect(loadCardKey({ key: 'abcd' })).toMatchObject({ ok: false, error: { code: 'bad-format' } });
  });

  it('reads an owner-only key file (hex, or raw bytes)', () => {
    const f = join(dir, 'hex.key');
    writeFileSync(f, `${HEX}\n`, { mode: 0o600 });
    expect(loadCardKey({ keyFile: f })).toMatchObject({ ok: true });
    const raw = join(dir, 'raw.key');
    writeFileSync(raw, Buffer.alloc(48, 7), { mode: 0o400 });
    const r = loadCardKey({ keyFile: raw });
    expect(r.ok && r.value.length).toBe(48);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a key file with mode %o', (mode) => {
    const f = join(dir, `open-${mode}.key`);
    writeFileSync(f, HEX);
    chmodSync(f, mode);
    const r = loadCardKey({ keyFile: f });
    expect(r).toMatchObject({ ok: false, error: { code: 'insecure-permissions' } });
    if (!r.ok) expect(r.error.message).toContain(`chmod 600 ${f}`);
  });

  it('refuses a missing file, a short key, and no key at all', () => {
    expect(loadCardKey({ keyFile: join(dir, 'nope') })).toMatchObject({ ok: false, error: { code: 'missing' } });
    const short = join(dir, 'short.key');
    writeFileSync(short, 'abcd', { mode: 0o600 });
    expect(loadCardKey({ keyFile: short })).toMatchObject({ ok: false, error: { code: 'bad-format' } });
    expect(loadCardKey({})).toMatchObject({ ok: false, error: { code: 'missing' } });
  });

  it('creates a new key file with mode 0600 that loads, and never overwrites one', () => {
    const f = join(dir, 'sub', 'card.key');
    createCardKeyFile(f);
    const r = loadCardKey({ keyFile: f });
    expect(r.ok && r.value.length).toBe(32);
    expect(() => createCardKeyFile(f)).toThrow(/EEXIST/);
  });
});
