/**
 * The calibration recorder wired to the presence service (docs/presence.md, "Radio map"):
 * the advert tap is attached only while a session runs, so presence pays nothing otherwise;
 * a finished walk's map goes to the running engine through `applyRadioMap`.
 */
import type { Logger } from 'pino';
import { zoneIds, type PresenceConfig } from '../../config/presence-schema';
import type { Clock } from '../../ports/clock';
import { createCalibrationRecorder, type CalibrationRecorder } from './presence-calibration';
import { finishCalibration } from './presence-calibration-map';
import { presenceActive } from '../../config/presence-schema';
import type { PresenceService } from './presence-service';

export interface PresenceCalibration {
  readonly recorder: CalibrationRecorder;
  readonly active: boolean;
  finish: (apply: boolean) => ReturnType<typeof finishCalibration>;
}

export function createPresenceCalibration(
  p: PresenceConfig,
  deps: {
    presence: Pick<PresenceService, 'setAdvertTap' | 'applyRadioMap'>;
    clock: Clock;
    logger: Logger;
    databasePath: string;
    maxRows?: number;
    timeoutMs?: number;
  },
): PresenceCalibration {
  const scanners = p.scanners.map((s) => s.name);
  const zones = zoneIds(p);
  const recorder: CalibrationRecorder = createCalibrationRecorder({
    clock: deps.clock,
    logger: deps.logger,
    scanners,
    zones,
    tags: p.tags.map((t) => ({ id: t.id, uuid: t.uuid ?? p.programUuid, major: t.major, minor: t.minor })),
    ...(deps.maxRows !== undefined && { maxRows: deps.maxRows }),
    ...(deps.timeoutMs !== undefined && { timeoutMs: deps.timeoutMs }),
    onActive: (on) => deps.presence.setAdvertTap(on ? (batch) => recorder.record(batch) : null),
  });
  return {
    recorder,
    active: presenceActive(p),
    finish: (apply) =>
      finishCalibration(
        {
          recorder,
          scanners,
          zones,
          radioMap: p.radioMap,
          databasePath: deps.databasePath,
          clock: deps.clock,
          logger: deps.logger,
          applyRadioMap: (fp) => deps.presence.applyRadioMap(fp),
        },
        apply,
      ),
  };
}
