/**
 * The phone's radio side (issue 8): a member's phone advertising its rotating token
 * (firmware-sim/store/devices.ts `memberPhone`) into HCI controller emulators, one per
 * scanner, at the levels where the member stands now. Pair it with a PhoneApp holding the
 * offer stream for the same member: together they are the shopper's phone.
 */
import type { AdvertisingReport } from '../hci/h4';
import { memberPhone } from '../store/devices';
import type { Rng } from '../store/prng';

/** Anything that takes advertising reports: `SerialController.controller`, the emulator. */
export interface AdvertSink {
  report(r: AdvertisingReport): boolean;
}

export interface AdvertiserOptions {
  member: string;
  key: Uint8Array;
  programUuid: string;
  /** One sink per scanner. */
  sinks: readonly AdvertSink[];
  intervalMs?: number;
  /** Share of adverts each scanner misses (default 0.1). */
  lossRate?: number;
  /** RSSI noise, standard deviation in dB (default 3). */
  noiseDb?: number;
}

export class PhoneAdvertiser {
  /** RSSI per sink where the member stands; null: out of range (nothing heard). */
  levels: readonly number[] | null = null;
  sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly device;

  constructor(
    private readonly o: AdvertiserOptions,
    private readonly rng: Rng,
  ) {
    this.device = memberPhone({ member: o.member, key: o.key, programUuid: o.programUuid, intervalMs: o.intervalMs ?? 100 }, rng);
  }

  /** Stand where the sinks hear these levels (null: leave). */
  standAt(levels: readonly number[] | null): void {
    this.levels = levels;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.advertise(Date.now()), this.device.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One advert, as each sink hears it. */
  advertise(now: number): void {
    const levels = this.levels;
    if (!levels) return;
    const ad = this.device.advert(now);
    this.o.sinks.forEach((sink, i) => {
      const level = levels[i];
      if (level === undefined || this.rng.chance(this.o.lossRate ?? 0.1)) return;
      const rssi = Math.max(-127, Math.min(20, Math.round(level + this.rng.normal(0, this.o.noiseDb ?? 3))));
      if (sink.report({ eventType: ad.eventType, addressType: ad.addressType, address: ad.address, data: ad.data, rssi })) this.sent++;
    });
  }
}
