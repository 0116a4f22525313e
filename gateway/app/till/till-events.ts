/** Till events beyond those in sync/schemas/events.ts (issue 14). */
import { Type } from '@sinclair/typebox';
import { Priority, registerEvent } from '../../../sync/schemas/events';

export const AWARD_HELD = 'trouw.award.held.v1';

registerEvent({
  type: AWARD_HELD,
  summary: 'A sale would have awarded more points than the review limit (till.reviewAbovePoints): the sale is recorded, the points are held, not credited, for HQ to review.',
  priority: Priority.business,
  data: Type.Object(
    {
      receipt: Type.String({ minLength: 1, maxLength: 64 }),
      lane: Type.String({ minLength: 1, maxLength: 64 }),
      memberId: Type.String({ minLength: 1, maxLength: 64 }),
      memberNumber: Type.String({ minLength: 1, maxLength: 32 }),
      points: Type.Integer({ minimum: 0, description: 'the award held' }),
      limit: Type.Integer({ minimum: 0, description: 'the review limit in force' }),
      totalCents: Type.Integer({ minimum: 0 }),
      at: Type.String({ maxLength: 40 }),
    },
    { additionalProperties: true, description: 'award.held: a sale award over the review limit, held' },
  ),
  member: (d) => d.memberNumber,
});
