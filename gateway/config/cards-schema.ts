/**
 * `cards:` in the gateway config (issue 3). Every field has a default, so a config without
 * the section is valid and the gateway runs without card readers.
 *
 * The card key is NOT here as a value in a file: it comes from `keyFile` (owner-only
 * permissions, checked at start) or from the environment variable TROUW_CARDS__KEY, which
 * the config loader maps onto `cards.key` (hex, at least 32 bytes).
 */
import { Type, type Static } from '@sinclair/typebox';

const Place = Type.String({ pattern: '^(lane|kiosk):[A-Za-z0-9][A-Za-z0-9_.-]*$', description: '`lane:<id>` or `kiosk:<id>`' });

export const ReaderBindingConfig = Type.Object(
  {
    /** Case-insensitive glob over the PC/SC reader name: `ACS ACR122U*`, `Virtual PCD 00 00`. */
    match: Type.String({ minLength: 1, maxLength: 128 }),
    place: Place,
  },
  { additionalProperties: false },
);

export const StaffPassConfig = Type.Object(
  {
    /** The card token (HMAC hex), as HQ's staff list gives it. */
    token: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
    role: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]*$' }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const CardsConfig = Type.Object(
  {
    /** Off: the card subsystem is not started (health shows it `disabled`). */
    enabled: Type.Boolean({ default: true }),
    /** File holding the card key (64+ hex characters, or 32+ raw bytes); must be mode 0600 or stricter. */
    keyFile: Type.String({ minLength: 1, default: '.trouw/card.key' }),
    /** Set through the environment only (TROUW_CARDS__KEY): hex, at least 32 bytes. Wins over keyFile. */
    key: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{2}){32,64}$' })),
    /** pcscd's socket: checked before the PC/SC library is started (it spins without pcscd). */
    pcscdSocket: Type.String({ minLength: 1, default: '/run/pcscd/pcscd.comm' }),
    readers: Type.Array(ReaderBindingConfig, { default: [] }),
    /** A tap at a lane is used by that lane's next `identify`/`sale` within this window. */
    tapWindowMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
    /** The same card on the same reader within this window is one tap. */
    debounceMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 2000 }),
    /** A read (UID or the whole EMV flow) that takes longer is abandoned: reason `timeout`. */
    readTimeoutMs: Type.Integer({ minimum: 100, maximum: 30_000, default: 3000 }),
    /** Back-off bounds while pcscd is absent or has gone away. */
    retryMinMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 500 }),
    retryMaxMs: Type.Integer({ minimum: 10, maximum: 300_000, default: 10_000 }),
    /** Staff passes: card tokens with a role (normally HQ's staff list, sent down by sync). */
    staff: Type.Array(StaffPassConfig, { default: [] }),
  },
  { additionalProperties: false, default: {} },
);
export type CardsConfig = Static<typeof CardsConfig>;
