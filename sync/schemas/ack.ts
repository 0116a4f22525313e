/**
 * HQ's end-to-end acknowledgement (DESIGN.md §8 revised, docs/sync.md "End-to-end
 * acknowledgement"): after its commit, the ingest process that stored a gateway's events
 * tells that gateway which ids it holds, on `trouw/v1/{store}/{gateway}/ack` (QoS 1, not
 * retained). A PUBACK only says the broker took an event; this says HQ has it, and only this
 * lets the gateway delete the outbox row.
 *
 * By id, not by the outbox's seq: with N ingest processes on a shared subscription no process
 * sees a contiguous run, so a watermark would be wrong, and ids cannot name a different row
 * if a gateway's database is ever restored from a backup (seqs could). A ULID is 26 bytes;
 * one message per gateway per commit carries up to `MAX_ACK_IDS`.
 *
 * `stored`: in HQ's event store, new or a copy of one already there (a resend is acknowledged
 * again). `refused`: HQ filed it as a dead letter (bad data, unknown type...) and will never
 * store it: the gateway sets the row aside (`sync_outbox_rejected`) instead of resending it
 * for ever.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ulid } from '../envelope/cloudevent';

export const MAX_ACK_IDS = 1000;

export const EventAck = Type.Object(
  {
    v: Type.Literal(1),
    stored: Type.Array(Ulid, { maxItems: MAX_ACK_IDS }),
    refused: Type.Optional(
      Type.Array(Type.Object({ id: Ulid, reason: Type.String({ maxLength: 40 }), detail: Type.Optional(Type.String({ maxLength: 500 })) }), {
        maxItems: MAX_ACK_IDS,
      }),
    ),
  },
  // Newer HQs may add fields; a gateway ignores what it does not know.
  { additionalProperties: true, description: 'Event ids HQ has stored (or refused for good) for this gateway.' },
);
export type EventAck = Static<typeof EventAck>;
