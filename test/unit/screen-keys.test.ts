/**
 * Every kiosk has a screen key (issue 14): generated at first start when none is configured,
 * kept 0600 in the data directory, printed once; the same key after a restart; compared in
 * constant time; a kiosk plugin refuses a kiosk without one.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ensureScreenKeys, screenKeysFrom, SCREEN_KEYS_FILE } from '../../gateway/app/kiosk/screen-keys';
import { buildApi } from '../../gateway/api/build-api';
import { kioskRoutes } from '../../gateway/api/kiosk-routes';
import { openTempDb } from './sqlite-helpers';
import { createMembersService } from '../../gateway/app/members/members';
import { createCardLinks } from '../../gateway/app/members/card-links';
import { systemClock } from '../../gateway/ports/clock';

describe('kiosk screen keys', () => {
  it('generates a key for each kiosk without one, 0600, printed once; kept across restarts', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'trouw-keys-')), 'data');
    try {
      const printed: string[] = [];
      const first = ensureScreenKeys({ kiosks: ['k1', 'k2'], configured: { k2: 'configured-key-0123456789' }, dataDir: dir, print: (l) => printed.push(l) });
      const k1 = first.keyOf('k1')!;
      expect(k1).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(first.keyOf('k2')).toBe('configured-key-0123456789');
      expect(printed).toHaveLength(1);
      expect(printed[0]).toContain(`/kiosk/?kiosk=k1&key=${k1}`);
      const file = join(dir, SCREEN_KEYS_FILE);
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
      expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ k1 });

      const again = ensureScreenKeys({ kiosks: ['k1', 'k2'], configured: { k2: 'configured-key-0123456789' }, dataDir: dir, print: (l) => printed.push(l) });
      expect(again.keyOf('k1')).toBe(k1);
      expect(printed).toHaveLength(1);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('stops with a clear message on a damaged key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-keys-'));
    try {
      writeFileSync(join(dir, SCREEN_KEYS_FILE), '{"k1": 42}');
      expect(() => ensureScreenKeys({ kiosks: ['k1'], configured: {}, dataDir: dir, print: () => undefined })).toThrow(/expected \{"<kiosk id>"/);
      writeFileSync(join(dir, SCREEN_KEYS_FILE), '{nope');
      expect(() => ensureScreenKeys({ kiosks: ['k1'], configured: {}, dataDir: dir, print: () => undefined })).toThrow(/not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("matches only the kiosk's own key", () => {
    const keys = screenKeysFrom({ k1: 'key-one-0123456789', k2: 'key-two-0123456789' });
    expect(keys.matches('k1', 'key-one-0123456789')).toBe(true);
    expect(keys.matches('k1', 'key-two-0123456789')).toBe(false);
    expect(keys.matches('k1', 'key-one-012345678')).toBe(false);
    expect(keys.matches('k1', '')).toBe(false);
    expect(keys.matches('k1', undefined)).toBe(false);
    expect(keys.matches('k3', 'key-one-0123456789')).toBe(false);
  });

  it('refuses to serve a kiosk that has no screen key', async () => {
    const t = openTempDb();
    const app = await buildApi({
      health: () => {
        throw new Error('unused');
      },
      ready: () => true,
    });
    const members = createMembersService({ db: t.db, clock: systemClock });
    await expect(
      app.register(kioskRoutes, {
        router: undefined,
        members,
        cardLinks: createCardLinks({ db: t.db, clock: systemClock, members }),
        db: t.db,
        clock: systemClock,
        config: { store: { timeZone: 'Europe/Amsterdam' }, cards: { readers: [{ place: 'kiosk:k1' }, { place: 'kiosk:k2' }] } },
        screenKeys: screenKeysFrom({ k1: 'key-one-0123456789' }),
      }),
    ).rejects.toThrow(/kiosk k2 has no screen key/);
    await app.close().catch(() => undefined);
    t.cleanup();
  });
});
