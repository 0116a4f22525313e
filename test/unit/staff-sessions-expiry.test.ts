/**
 * Staff sessions at run time (issue 14): a token is refused from the moment it expires, on a
 * `staff` route through the access hook, and a session opened by a tap carries its place.
 */
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../gateway/api/build-api';
import { createStaffSessions } from '../../gateway/app/members/staff-sessions';

describe('staff session expiry', () => {
  it('works until its expiry and is refused from then on', async () => {
    let now = 1_000_000;
    const clock = { now: () => now, monotonic: () => now };
    const sessions = createStaffSessions({ clock, ttlMs: 60_000 });
    const app = await buildApi({
      health: () => {
        throw new Error('unused');
      },
      ready: () => true,
      staff: sessions,
    });
    app.get('/api/probe', { config: { access: 'staff' } }, async (req) => ({ who: req.principal?.who, place: req.principal?.place }));
    const s = sessions.openFor({ role: 'supervisor', label: 'Bedrijfsleider' }, 'lane:lane-1');
    expect(s.expiresAt).toBe(now + 60_000);
    const probe = () => app.inject({ url: '/api/probe', headers: { authorization: `Bearer ${s.token}` } });
    expect((await probe()).json()).toEqual({ who: 'Bedrijfsleider', place: 'lane:lane-1' });
    now += 59_999;
    expect((await probe()).statusCode).toBe(200);
    now += 1;
    expect((await probe()).statusCode).toBe(401);
    now -= 10_000; // the clock stepping back does not revive it: it was dropped
    expect((await probe()).statusCode).toBe(401);
    await app.close();
  });

  it('a cashier role may not do store work; a tap without a staff pass opens nothing', async () => {
    const clock = { now: () => 0, monotonic: () => 0 };
    const sessions = createStaffSessions({ clock });
    const app = await buildApi({
      health: () => {
        throw new Error('unused');
      },
      ready: () => true,
      staff: sessions,
    });
    app.get('/api/probe', { config: { access: 'staff' } }, async () => ({ ok: true }));
    const cashier = sessions.openFor({ role: 'cashier' }, 'lane:lane-1');
    expect((await app.inject({ url: '/api/probe', headers: { authorization: `Bearer ${cashier.token}` } })).statusCode).toBe(403);
    expect(sessions.open({ outcome: 'identified', token: 't', kind: 'emv', reader: 'r', at: 0 } as never, 'lane:lane-1')).toBeUndefined();
    await app.close();
  });
});
