import { tokenTableFor } from '../../firmware-sim/store/devices';

/**
 * Presence settings for the end-to-end walks (presence, offers): windows and timers short enough
 * that a walk between two scanners takes seconds, not minutes, and the token table of `members`
 * for the current epoch, as the config file writes it (hex tokens).
 */
export const walkPresenceTimers = (members: Parameters<typeof tokenTableFor>[0]) => ({
  defaults: {
    windowMs: 2000,
    enterTimeMs: 1000,
    switchTimeMs: 1500,
    switchMarginDb: 4,
    exitTimeMs: 3000,
    absenceTimeoutMs: 3000,
    enterLevelDbm: -85,
    exitLevelDbm: -95,
  },
  visitEndMs: 10_000,
  evaluateIntervalMs: 200,
  retryMinMs: 200,
  retryMaxMs: 2000,
  tokens: tokenTableFor(members, Date.now()).map((t) => ({ member: t.member, epoch: t.epoch, token: t.token.toString(16).padStart(8, '0') })),
});
