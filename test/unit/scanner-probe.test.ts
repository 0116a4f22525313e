/**
 * `doctor --probe-scanners`: a worker's failure text sorted into what store IT can act on, and
 * the one line per scanner (counts and the strongest level only).
 */
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../gateway/adapters/ble/scanner-probe';
import { probeFinding } from '../../gateway/cli/presence-doctor';

const ctx = { port: '/dev/ttyACM0', poweredOn: false, startTimeoutMs: 15_000 };

describe('scanner probe', () => {
  it('classifies the worker failures', () => {
    expect(classifyFailure('controller port: Error Resource temporarily unavailable Cannot lock port', ctx)).toEqual({
      kind: 'port-busy',
      reason: '/dev/ttyACM0 is busy/locked by another process — is the gateway running? stop it or probe without it',
    });
    expect(classifyFailure('controller port: Error: No such file or directory, cannot open /dev/ttyACM0', ctx).kind).toBe('port-missing');
    expect(classifyFailure('controller port: Error: Permission denied, cannot open /dev/ttyACM0', ctx).kind).toBe('no-access');
    expect(classifyFailure('controller gone (poweredOff)', ctx)).toEqual({ kind: 'powered-off', reason: 'controller went poweredOff (unplugged or reset)' });
    expect(classifyFailure('no answer from the controller within 15000 ms', ctx)).toEqual({
      kind: 'no-answer',
      reason: 'no answer to HCI Reset within 15000 ms',
    });
    expect(classifyFailure('no answer from the controller within 15000 ms', { ...ctx, poweredOn: true }).kind).toBe('no-scan');
    expect(classifyFailure('worker exited (1)', ctx)).toEqual({ kind: 'other', reason: 'worker exited (1)' });
  });

  it('one line per scanner: up with counts, silent as a warning, down with a fix', () => {
    const up = probeFinding({ ok: true, scanner: 's1', programAdverts: 12, otherAccepted: 0, heard: 40, strongestDbm: -61, listenedMs: 5000 }, 5000);
    expect(up).toEqual({
      level: 'ok',
      name: 'scanner s1 probe',
      detail: 'up: controller answered, scanning; 12 program-UUID adverts heard in 5 s, strongest -61 dBm, 40 adverts of any kind',
    });
    const deaf = probeFinding({ ok: true, scanner: 's1', programAdverts: 0, otherAccepted: 0, heard: 0, listenedMs: 5000 }, 5000);
    expect(deaf.level).toBe('warn');
    expect(deaf.detail).toBe('up: controller answered, scanning; 0 program-UUID adverts heard in 5 s, 0 adverts of any kind');
    const lost = probeFinding(
      {
        ok: true,
        scanner: 's1',
        programAdverts: 3,
        otherAccepted: 0,
        strongestDbm: -70,
        listenedMs: 1200,
        failedAfter: { kind: 'powered-off', reason: 'controller went poweredOff (unplugged or reset)' },
      },
      5000,
    );
    expect(lost.level).toBe('fail');
    expect(lost.detail).toBe(
      'down: controller went poweredOff (unplugged or reset) (after scanning; 3 program-UUID adverts heard in 1.2 s, strongest -70 dBm)',
    );
    const down = probeFinding({ ok: false, scanner: 's2', failure: { kind: 'port-missing', reason: '/dev/ttyACM9 does not exist' } }, 5000);
    expect(down).toMatchObject({ level: 'fail', detail: 'down: /dev/ttyACM9 does not exist', fix: expect.stringMatching(/plug in the BLE dongle/) });
  });
});
