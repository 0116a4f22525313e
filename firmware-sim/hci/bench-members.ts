/** The load generator's members: keys both the emulator process and the bench (playing HQ) derive. */
import { createHash } from 'node:crypto';

export const BENCH_PROGRAM_UUID = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
export const benchMemberKey = (i: number): Buffer => createHash('sha256').update(`trouw-bench-member-${i}`).digest();
export const benchMember = (i: number): string => `M-${900_000 + i}`;
