/** Store-IT authority from HQ's staff list (sync `cfg` `staff`): live, hashed, beside http.adminToken. */
import { describe, expect, it } from 'vitest';
import { createStaffSessions, hashedStaffToken } from '../../gateway/app/members/staff-sessions';

const clock = { now: () => Date.UTC(2026, 0, 5, 9), monotonic: () => 0 };

describe('staff sessions: HQ staff list', () => {
  it('an HQ token authorises with its role until a later list leaves it out; the admin token keeps working', () => {
    const s = createStaffSessions({ clock, adminToken: 'local-admin-token-0001' });
    expect(s.verify('Bearer hq-admin-token-1')).toBeUndefined();
    s.setHqStaff([
      { token: 'hq-admin-token-1', role: 'admin' },
      { token: 'hq-clerk-token-1', role: 'clerk' },
    ]);
    expect(s.verify('Bearer hq-admin-token-1')).toEqual({ role: 'admin', who: 'hq-staff' });
    expect(s.verify('Bearer hq-clerk-token-1')?.role).toBe('clerk');
    s.setHqStaff([{ token: 'hq-clerk-token-1', role: 'clerk' }]);
    expect(s.verify('Bearer hq-admin-token-1')).toBeUndefined();
    expect(s.verify('Bearer local-admin-token-0001')).toEqual({ role: 'admin', who: 'admin' });
  });

  it('takes the stored form (sha256:hex) too; the stored hash itself is not a token', () => {
    const s = createStaffSessions({ clock });
    const stored = hashedStaffToken('hq-admin-token-1');
    expect(stored).toMatch(/^sha256:[0-9a-f]{64}$/);
    s.setHqStaff([{ token: stored, role: 'admin' }]);
    expect(s.verify('Bearer hq-admin-token-1')?.role).toBe('admin');
    expect(s.verify(`Bearer ${stored}`)).toBeUndefined();
  });
});
