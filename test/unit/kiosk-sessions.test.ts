/** Kiosk sessions (issue 7): bound to one kiosk and one tap, short-lived, one per kiosk. */
import { describe, expect, it } from 'vitest';
import { createKioskSessions } from '../../gateway/app/kiosk/kiosk-sessions';
import { firstNameOf } from '../../gateway/app/kiosk/kiosk-view';
import { newMemberNumber } from '../../gateway/app/kiosk/kiosk-join';

const clockAt = (start = 1_000_000) => {
  let now = start;
  return { clock: { now: () => now, monotonic: () => now }, advance: (ms: number) => (now += ms) };
};

describe('kiosk sessions', () => {
  it('is only usable from the kiosk it was opened at', () => {
    const { clock } = clockAt();
    const s = createKioskSessions({ clock });
    const a = s.open('k1', { kind: 'member', memberId: 'm1' });
    expect(s.use(a.token, 'k1')?.subject).toEqual({ kind: 'member', memberId: 'm1' });
    expect(s.use(a.token, 'k2')).toBeUndefined();
    expect(s.use(undefined, 'k1')).toBeUndefined();
    expect(s.use('guess', 'k1')).toBeUndefined();
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('ends after the idle time, after the hard limit, and when a new tap opens another', () => {
    const { clock, advance } = clockAt();
    const s = createKioskSessions({ clock, idleMs: 1000, maxMs: 5000 });
    const a = s.open('k1', { kind: 'member', memberId: 'm1' });
    advance(900);
    expect(s.use(a.token, 'k1')).toBeDefined();
    advance(1001);
    expect(s.use(a.token, 'k1')).toBeUndefined();

    const b = s.open('k1', { kind: 'member', memberId: 'm1' });
    for (let i = 0; i < 5; i++) {
      advance(999);
      expect(s.use(b.token, 'k1')).toBeDefined();
    }
    advance(999);
    expect(s.use(b.token, 'k1')).toBeUndefined(); // past maxMs even though used

    const c = s.open('k1', { kind: 'member', memberId: 'm1' });
    const d = s.open('k1', { kind: 'join', cardToken: 't'.repeat(64), cardKind: 'emv' });
    expect(s.use(c.token, 'k1')).toBeUndefined();
    expect(s.current('k1')?.token).toBe(d.token);
    expect(s.end(d.token, 'k2')).toBe(false);
    expect(s.end(d.token, 'k1')).toBe(true);
    expect(s.current('k1')).toBeUndefined();
  });

  it('sweeps expired sessions', () => {
    const { clock, advance } = clockAt();
    const s = createKioskSessions({ clock, idleMs: 1000 });
    s.open('k1', { kind: 'staff', role: 'supervisor' });
    s.open('k2', { kind: 'staff', role: 'supervisor' });
    advance(2000);
    expect(s.sweep()).toBe(2);
    expect(s.size()).toBe(0);
  });

  it('greets by the first name; new member numbers are readable', () => {
    expect(firstNameOf('  Sanne de Vries ')).toBe('Sanne');
    expect(newMemberNumber(new Uint8Array(8))).toBe('K-00000000');
    expect(newMemberNumber()).toMatch(/^K-[0-9A-HJKMNP-TV-Z]{8}$/);
  });
});
