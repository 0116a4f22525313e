/**
 * The gateway's faults: one catalogue of codes, as fastify's lib/errors.js keeps one. A fault
 * is a broken promise inside the gateway (a ledger that no longer adds up, an event that fails
 * its own schema), not a refusal a caller can fix: those are `Result` errors with their own
 * codes. Code, message and CLI exit code live here together, so a log line, a test and an
 * operator's script all name the same thing.
 *
 * Exit codes follow sysexits(3) where one fits: 70 internal software error, 65 data error,
 * 69 service unavailable, 78 configuration error.
 */
export const FaultCodes = {
  TROUW_LEDGER_INCONSISTENT: { message: 'ledger inconsistent', exitCode: 65 },
  TROUW_LEDGER_MISSING_MEMBER: { message: 'ledger refers to a missing member', exitCode: 65 },
  TROUW_VOUCHER_STATE_RACE: { message: 'voucher changed state inside its own transaction', exitCode: 70 },
  TROUW_OUTBOX_UNKNOWN_EVENT: { message: 'event type not in the catalogue', exitCode: 70 },
  TROUW_OUTBOX_EVENT_INVALID: { message: 'event data fails its schema', exitCode: 70 },
  TROUW_OUTBOX_BUSINESS_EXPIRY: { message: 'a business event cannot expire', exitCode: 70 },
  TROUW_START_FAILED: { message: 'gateway failed to start', exitCode: 69 },
  TROUW_CONFIG_INVALID: { message: 'configuration invalid', exitCode: 78 },
} as const satisfies Record<string, { message: string; exitCode: number }>;

export type FaultCode = keyof typeof FaultCodes;

export class Fault extends Error {
  override readonly name = 'Fault';
  readonly code: FaultCode;
  constructor(code: FaultCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${FaultCodes[code].message}: ${detail}` : FaultCodes[code].message, options);
    this.code = code;
  }
}

export const fault = (code: FaultCode, detail?: string, options?: { cause?: unknown }): Fault => new Fault(code, detail, options);

export const isFault = (e: unknown, code?: FaultCode): e is Fault => e instanceof Fault && (code === undefined || e.code === code);

/** The process exit code for an error that ended a command: its fault's, else 1. */
export const exitCodeOf = (e: unknown): number => (e instanceof Fault ? FaultCodes[e.code].exitCode : 1);
