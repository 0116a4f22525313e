/**
 * `offers:` in the gateway config (issue 8): offer definitions, caps, the phone stream's
 * credential key and consent seeds. Every field has a default: no offers, no phone stream
 * (without `phone.hqPublicKey` every phone is refused). HQ pushes offers later. docs/offers.md.
 */
import { Type, type Static } from '@sinclair/typebox';

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (store-local)' });
const HhMm = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM (store-local)' });
const DayPart = Type.Object({ from: HhMm, to: HhMm }, { additionalProperties: false });
const Text = (max: number) =>
  Type.Object({ nl: Type.String({ minLength: 1, maxLength: max }), en: Type.String({ minLength: 1, maxLength: max }) }, { additionalProperties: false });
const Lines = {
  categories: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
  skus: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 200 })),
  minSpendCents: Type.Optional(Type.Integer({ minimum: 0 })),
};

export const OfferConfig = Type.Object(
  {
    id: Name,
    campaign: Type.Optional(Name),
    priority: Type.Integer({ minimum: -1000, maximum: 1000, default: 0 }),
    enabled: Type.Boolean({ default: true }),
    trigger: Type.Union([
      Type.Object({ kind: Type.Literal('zone-entered'), zone: Name }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('dwell'), zone: Name, seconds: Type.Integer({ minimum: 1, maximum: 3600 }) }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('visit-started') }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('sequence'), zones: Type.Array(Name, { minItems: 2, maxItems: 10 }) }, { additionalProperties: false }),
    ]),
    window: Type.Object(
      {
        days: Type.Optional(Type.Array(Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d))), { maxItems: 7 })),
        dayParts: Type.Optional(Type.Array(DayPart, { maxItems: 10 })),
        from: Type.Optional(IsoDate),
        to: Type.Optional(IsoDate),
      },
      { additionalProperties: false, default: {} },
    ),
    audience: Type.Object(
      {
        tiers: Type.Optional(Type.Array(Name, { maxItems: 10 })),
        segments: Type.Optional(Type.Array(Name, { maxItems: 50 })),
        member: Type.Optional(Type.Union([Type.Literal('new'), Type.Literal('returning')])),
        joinedMonths: Type.Optional(Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}$' }), { maxItems: 120 })),
        notBought: Type.Optional(
          Type.Object(
            { category: Type.String({ minLength: 1, maxLength: 64 }), days: Type.Integer({ minimum: 1, maximum: 730 }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    title: Text(80),
    body: Type.Optional(Text(400)),
    reward: Type.Union([
      Type.Object(
        {
          kind: Type.Literal('discount'),
          cents: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          percent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          ...Lines,
        },
        { additionalProperties: false },
      ),
      Type.Object({ kind: Type.Literal('points'), points: Type.Integer({ minimum: 1, maximum: 1_000_000 }), ...Lines }, { additionalProperties: false }),
      Type.Object(
        { kind: Type.Literal('voucher'), rewardId: Name, valueCents: Type.Optional(Type.Integer({ minimum: 0 })), ...Lines },
        { additionalProperties: false },
      ),
    ]),
    validMinutes: Type.Integer({ minimum: 1, maximum: 60 * 24 * 30, default: 120 }),
    /** Most sends of this offer's campaign to one member, ever. */
    perMember: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
    /** Control group: share of would-be recipients held back (0–0.5; docs/hq-insights.md). */
    holdout: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
  },
  { additionalProperties: false },
);
export type OfferConfig = Static<typeof OfferConfig>;

export const OffersConfig = Type.Object(
  {
    definitions: Type.Array(OfferConfig, { default: [], maxItems: 1000 }),
    caps: Type.Object(
      {
        perMemberPerDay: Type.Integer({ minimum: 0, maximum: 100, default: 3 }),
        minGapSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 900 }),
        storeRate: Type.Object(
          { max: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 120 }), perSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }) },
          { additionalProperties: false, default: {} },
        ),
        quietHours: Type.Array(DayPart, { default: [], maxItems: 10 }),
        newMemberDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    phone: Type.Object(
      {
        /** HQ's Ed25519 public key (PEM or base64 of the raw 32 bytes) that signs member credentials. Unset: every phone is refused. */
        hqPublicKey: Type.Optional(Type.String({ minLength: 40, maxLength: 1000 })),
        /** SSE keep-alive comment interval. */
        pingMs: Type.Integer({ minimum: 1000, maximum: 300_000, default: 15_000 }),
        /** Most open streams per member (a new one beyond this closes the oldest). */
        maxStreamsPerMember: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Dwell triggers are checked this often. */
    tickMs: Type.Integer({ minimum: 50, maximum: 10_000, default: 250 }),
    /**
     * Consent and segments until HQ pushes them: written at start for members not yet known
     * to the offers table (a withdrawal made since, by phone or HQ, is kept).
     */
    members: Type.Array(
      Type.Object(
        {
          number: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' }),
          consent: Type.Boolean({ default: false }),
          segments: Type.Array(Name, { default: [], maxItems: 50 }),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type OffersConfig = Static<typeof OffersConfig>;

/** Checks a schema cannot express; each problem names its key. */
export function offersProblems(o: OffersConfig): { key: string; value: unknown; expected: string }[] {
  const out: { key: string; value: unknown; expected: string }[] = [];
  const seen = new Set<string>();
  o.definitions.forEach((d, i) => {
    if (seen.has(d.id)) out.push({ key: `offers.definitions.${i}.id`, value: d.id, expected: 'a unique offer id' });
    seen.add(d.id);
    if (d.reward.kind === 'discount' && (d.reward.cents === undefined) === (d.reward.percent === undefined)) {
      out.push({ key: `offers.definitions.${i}.reward`, value: d.reward, expected: 'exactly one of cents or percent' });
    }
    if (d.window.from && d.window.to && d.window.to < d.window.from)
      out.push({ key: `offers.definitions.${i}.window.to`, value: d.window.to, expected: `on or after ${d.window.from}` });
  });
  return out;
}
