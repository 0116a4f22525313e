/**
 * Till ↔ gateway application messages (DESIGN.md §6), one schema per message.
 * Every request carries `v` (protocol version, 1) and `id` (the till's request id, unique per
 * till; the gateway stores `id → response` and replays the stored response on a resend).
 * Money is integer euro cents. Schemas are checked where a frame body enters the gateway;
 * a body that fails gets an `error` response with a code, never a crash.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000 });
const MemberNumber = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' });
/**
 * Free text from the till (receipts, SKUs, categories, codes): no control characters (C0, DEL,
 * C1), which JSON lets through as `\u0007` and which would be stored, printed and sent to HQ.
 */
const NO_CONTROL = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
const Text = (maxLength: number, minLength = 1) => Type.String({ minLength, maxLength, pattern: NO_CONTROL });
const Receipt = Text(64);
const Sku = Text(64);

/**
 * Lines per basket, sale or refund (issue 14: 200 let no real basket of 250 lines through).
 * A 2,000-line sale is ~150 KB of JSON: well inside one long message (message-parts.ts).
 */
export const MAX_LINES = 2000;

const envelope = <T extends string, P extends Record<string, TSchema>>(type: T, props: P) =>
  Type.Object({ v: Type.Literal(1), id: Id, type: Type.Literal(type), ...props }, { additionalProperties: false });

export const SaleLine = Type.Object(
  {
    sku: Sku,
    category: Text(64),
    qty: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** Line total after line discounts, in cents. */
    amountCents: Cents,
  },
  { additionalProperties: false },
);
export type SaleLine = Static<typeof SaleLine>;

export const Tender = Type.Object(
  {
    kind: Text(32),
    amountCents: Cents,
    /**
     * `kind: 'points'` only: the member whose points pay `amountCents` (at
     * `program.tender.pointsPerEuro`, rounded up to whole points), within the offline budget.
     */
    member: Type.Optional(MemberNumber),
  },
  { additionalProperties: false },
);

export const HelloRequest = envelope('hello', {
  lane: Type.Optional(Text(32, 0)),
  till: Type.Optional(Type.Object({ vendor: Text(64, 0), version: Text(32, 0) })),
});
export const PingRequest = envelope('ping', {});
export const IdentifyRequest = envelope('identify', {
  /** Identify by member number typed or scanned at the till. */
  member: Type.Optional(MemberNumber),
  /** Identify by the card most recently tapped at this lane's reader. */
  card: Type.Optional(Type.Literal(true)),
  /** Identify by a phone code shown in the member's app. */
  phoneCode: Type.Optional(Text(32, 4)),
});
/** Offer codes typed or scanned at the till (issue 8); case and separators are forgiven. */
const OfferCodes = Type.Optional(Type.Array(Text(32, 4), { maxItems: 10 }));
export const BasketRequest = envelope('basket', {
  member: Type.Optional(MemberNumber),
  lines: Type.Array(SaleLine, { maxItems: MAX_LINES }),
  offerCodes: OfferCodes,
});
export const SaleRequest = envelope('sale', {
  receipt: Receipt,
  member: Type.Optional(MemberNumber),
  /** No member number: use the card just tapped at this lane's reader (if the sale is fresh). */
  card: Type.Optional(Type.Literal(true)),
  lines: Type.Array(SaleLine, { minItems: 1, maxItems: MAX_LINES }),
  tenders: Type.Array(Tender, { maxItems: 20 }),
  /** When the till rang the sale (ISO 8601); a sale sent late (till failed open) keeps its own time. */
  at: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  offerCodes: OfferCodes,
});
export const RefundRequest = envelope('refund', {
  receipt: Receipt,
  /** The receipt of the sale the lines come from. */
  original: Receipt,
  lines: Type.Array(Type.Object({ sku: Sku, qty: Type.Integer({ minimum: 1, maximum: 10_000 }), amountCents: Cents }, { additionalProperties: false }), {
    minItems: 1,
    maxItems: MAX_LINES,
  }),
});
export const VoidRequest = envelope('void', { receipt: Receipt });
/** A voucher presented at the till (issue 6): accepted once, whichever lane and however often resent. */
export const RedeemRequest = envelope('redeem', {
  /** The code as typed or scanned; case, hyphens, I/L/O are forgiven (Crockford). */
  voucher: Text(32),
  /** The receipt the voucher is used on, if the till knows it (not `receipt`: a redeem is not a receipt of its own). */
  onReceipt: Type.Optional(Receipt),
});
/**
 * A staff pass was just tapped at this lane's reader: open a store-work session for it
 * (issue 14). The till is the proof that the pass is at this lane; the answer's token acts
 * for this lane only. Not recorded: a token is never written to the database.
 */
export const StaffSessionRequest = envelope('staff-session', {});
export const EndOfDayRequest = envelope('end-of-day', {
  /** Store-local business date (YYYY-MM-DD); defaults to today in the store's time zone. */
  date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
});

export const TillRequest = Type.Union([
  HelloRequest,
  PingRequest,
  IdentifyRequest,
  BasketRequest,
  SaleRequest,
  RefundRequest,
  VoidRequest,
  RedeemRequest,
  EndOfDayRequest,
  StaffSessionRequest,
]);
export type TillRequest = Static<typeof TillRequest>;
export type HelloRequest = Static<typeof HelloRequest>;
export type IdentifyRequest = Static<typeof IdentifyRequest>;
export type BasketRequest = Static<typeof BasketRequest>;
export type SaleRequest = Static<typeof SaleRequest>;
export type RefundRequest = Static<typeof RefundRequest>;
export type VoidRequest = Static<typeof VoidRequest>;
export type EndOfDayRequest = Static<typeof EndOfDayRequest>;
export type RedeemRequest = Static<typeof RedeemRequest>;
export type TillRequestType = TillRequest['type'];

export const tillRequestSchemas = {
  hello: HelloRequest,
  ping: PingRequest,
  identify: IdentifyRequest,
  basket: BasketRequest,
  sale: SaleRequest,
  refund: RefundRequest,
  void: VoidRequest,
  redeem: RedeemRequest,
  'end-of-day': EndOfDayRequest,
  'staff-session': StaffSessionRequest,
} as const satisfies Record<TillRequestType, TSchema>;

/** Application error codes the till can show or act on. */
export type TillErrorCode =
  | 'bad-json' // body is not JSON
  | 'bad-encoding' // body is not valid UTF-8 (the frame itself was good)
  | 'bad-request' // body fails its schema (details in `message`)
  | 'unknown-type' // `type` is not one the gateway knows
  | 'unsupported-version'
  | 'unknown-receipt' // refund/void of a sale the gateway never saw
  | 'conflict' // same receipt sent again with different content
  | 'points-refused' // a points tender the member cannot pay (see `reason`): nothing was recorded
  | 'no-staff-pass' // staff-session: no staff pass was tapped at this lane just now
  | 'refund-too-large' // a refund line claims more money than the sale line had for those units
  | 'internal'; // the gateway failed; the till fails open

/**
 * An offer that applies to the basket (issue 8): `discountCents` for the till to take off,
 * `points` credited with the sale, `rewardId` a catalogue reward to hand out. `id` is the send.
 */
export interface BasketOffer {
  id: string;
  offerId: string;
  code: string;
  title: { nl: string; en: string };
  discountCents: number;
  points: number;
  rewardId?: string;
}

/** Member summary as the till shows it. */
export interface MemberView {
  number: string;
  name: string;
  balance: number;
  /** Tier id (`program.tiers.levels[].id`). */
  tier: string;
  /** Tier name to show, and its benefits (issue 6). */
  tierName?: string;
  benefits?: string[];
  /** Points the member may spend here now: balance within the offline budget and today's cap. */
  spendable?: number;
}

/**
 * Responses: `type` is the request type with `.ok`, or `error`. `id` echoes the request id.
 * The JSON body of each response is what the gateway stores and replays.
 */
export type TillResponse =
  | { v: 1; id: string; type: 'hello.ok'; store: string; gateway: string; lane: string; time: string }
  | { v: 1; id: string; type: 'ping.ok' }
  | {
      v: 1;
      id: string;
      type: 'identify.ok';
      member: MemberView | null;
      reason?: 'unknown-member' | 'unknown-card' | 'random-id' | 'no-tap' | 'card-unreadable';
    }
  | { v: 1; id: string; type: 'basket.ok'; member: MemberView | null; pointsPreview: number; offers: BasketOffer[] }
  | {
      v: 1;
      id: string;
      type: 'sale.ok';
      receipt: string;
      member: MemberView | null;
      pointsAwarded: number;
      reason?: 'no-member' | 'unknown-member' | 'below-minimum' | 'no-tap' | 'unknown-card' | 'random-id' | 'card-unreadable' | 'held-for-review';
      pointsSpent?: number;
      offers?: BasketOffer[];
      /** `held-for-review`: the points this sale would have awarded, held for HQ (issue 14). */
      pointsHeld?: number;
    }
  | { v: 1; id: string; type: 'refund.ok'; receipt: string; member: MemberView | null; pointsReversed: number; deficit: number }
  | { v: 1; id: string; type: 'void.ok'; receipt: string; member: MemberView | null; pointsReversed: number; deficit: number }
  | {
      v: 1;
      id: string;
      type: 'redeem.ok';
      /** true: the voucher is accepted and now used; false: refused, see `reason` and `message`. */
      ok: boolean;
      voucher: string;
      reward: { id: string; name: string; valueCents?: number } | null;
      member: { number: string; name: string } | null;
      reason?: RedeemRefusal;
      message?: string;
    }
  | { v: 1; id: string; type: 'staff-session.ok'; token: string; role: string; place: string; expiresAt: number }
  | { v: 1; id: string; type: 'end-of-day.ok'; date: string; sales: number; refunds: number; pointsAwarded: number; pointsReversed: number }
  | { v: 1; id: string; type: 'error'; code: TillErrorCode; message: string; reason?: string };

/** Why a voucher was refused at the till. */
export type RedeemRefusal = 'malformed' | 'bad-check' | 'unknown-voucher' | 'already-redeemed' | 'cancelled' | 'expired';
