import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probePcscd } from '../../gateway/adapters/nfc/pcscd-probe';

const dir = mkdtempSync(join(tmpdir(), 'trouw-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pcscd probe (before new NFC(), which spins without pcscd)', () => {
  it('no socket file → not running', async () => {
    expect(await probePcscd(join(dir, 'none.comm'))).toEqual({ ok: false, why: `pcscd not running (${join(dir, 'none.comm')} missing)` });
  });
  it('a stale file nobody listens on (pcscd killed) → not running', async () => {
    const stale = join(dir, 'stale.comm');
    writeFileSync(stale, '');
    expect(await probePcscd(stale)).toMatchObject({ ok: false, why: expect.stringContaining('pcscd not running') });
  });
  it('a listening socket → ok', async () => {
    const path = join(dir, 'live.comm');
    const srv = createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(path, r));
    expect(await probePcscd(path)).toEqual({ ok: true });
    await new Promise((r) => srv.close(r));
  });
});
