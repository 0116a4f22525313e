/**
 * The `staff` and `store-it` access checkers (gateway/api/access.ts), from the staff sessions
 * (app/members/staff-sessions.ts): store IT is the admin token or an HQ staff token (role
 * `admin`); staff is store IT or a session opened by a staff pass whose role may do store
 * work (`roles`, default supervisor). A session opened at a kiosk acts only together with
 * that kiosk's screen key (`x-trouw-screen-key`): its token is bound to its place.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Principal, StaffSessions } from '../app/members/staff-sessions';
import type { ScreenKeys } from '../app/kiosk/screen-keys';
import type { AccessControl, AccessDenied } from './access';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who a `staff` or `store-it` route was granted to. */
    principal?: Principal;
  }
}

/** A staff session as it is handed out (store IT, the lane's till, a kiosk's screen). */
export const StaffSessionBody = Type.Object({ token: Type.String(), role: Type.String(), place: Type.String(), expiresAt: Type.Number() });

export const SCREEN_KEY_HEADER = 'x-trouw-screen-key';

const unauthorized: AccessDenied = { status: 401, error: 'unauthorized', message: 'a store-IT token or a staff session is required' };

export function screenKeyOf(req: FastifyRequest): string | undefined {
  const h = req.headers[SCREEN_KEY_HEADER];
  return typeof h === 'string' ? h : undefined;
}

export function provideStaffAccess(control: AccessControl, o: { sessions: StaffSessions; screenKeys?: ScreenKeys; roles?: readonly string[] }): void {
  const allowed = new Set(['admin', ...(o.roles ?? ['supervisor'])]);
  control.provide('store-it', (req) => {
    const p = o.sessions.verify(req.headers.authorization);
    if (!p) return { ...unauthorized, message: 'a store-IT token is required' };
    if (p.role !== 'admin') return { status: 403, error: 'forbidden', message: `role ${p.role} may not do this` };
    req.principal = p;
    return undefined;
  });
  control.provide('staff', (req) => {
    const p = o.sessions.verify(req.headers.authorization);
    if (!p) return unauthorized;
    if (!allowed.has(p.role)) return { status: 403, error: 'forbidden', message: `role ${p.role} may not do this` };
    if (p.place?.startsWith('kiosk:') && !o.screenKeys?.matches(p.place.slice(6), screenKeyOf(req))) {
      return { status: 403, error: 'wrong-place', message: 'this session acts only on the kiosk screen it was opened on' };
    }
    req.principal = p;
    return undefined;
  });
}
