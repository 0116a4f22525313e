/**
 * What the presence engine reports. Subjects are consenting members (by member number,
 * resolved from a rotating token) and configured fixed tags; nobody else ever appears here.
 */
import type { LeaveReason } from './zone-tracker';

export type Subject = { readonly kind: 'member'; readonly id: string } | { readonly kind: 'tag'; readonly id: string };

export interface ZoneDwell {
  readonly zone: string;
  readonly dwellMs: number;
  readonly entries: number;
}

/** `gateway-restart`: a visit a previous run left open, closed at start. */
export type VisitEndReason = 'unseen' | 'evicted' | 'gateway-restart';

export type PresenceEvent =
  | { readonly type: 'visit-started'; readonly visitId: string; readonly subject: Subject; readonly at: number }
  | { readonly type: 'zone-entered'; readonly visitId: string; readonly subject: Subject; readonly zone: string; readonly at: number }
  | {
      readonly type: 'zone-left';
      readonly visitId: string;
      readonly subject: Subject;
      readonly zone: string;
      readonly enteredAt: number;
      readonly at: number;
      readonly dwellMs: number;
      readonly reason: LeaveReason;
    }
  | {
      readonly type: 'visit-ended';
      readonly visitId: string;
      readonly subject: Subject;
      readonly startedAt: number;
      /** When the subject was last heard. */
      readonly at: number;
      readonly zones: readonly ZoneDwell[];
      readonly reason: VisitEndReason;
    };

export interface ZoneOccupancy {
  readonly zone: string;
  readonly members: number;
  readonly tags: number;
  /** Devices with the program UUID and a token no consenting member owns (counted, never named). */
  readonly anonymous: number;
}

export const subjectKey = (s: Subject): string => (s.kind === 'member' ? `m:${s.id}` : `t:${s.id}`);
