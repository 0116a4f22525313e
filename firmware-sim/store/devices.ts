/**
 * What the simulated store's devices put on the air: members' phones (iBeacon with the
 * program UUID and a rotating token, DESIGN.md §4), fixed tags, and everyone else's devices
 * (other beacons, phones of non-members, other vendors' adverts). Each advertises every
 * 100 ms–1 s with a random (resolvable private) address that rotates every ~15 minutes.
 */
import { AdvType, iBeaconAdData, manufacturerAdData } from '../hci/h4';
import { epochOf, memberToken } from '../../gateway/core/presence/token';
import { Rng } from './prng';

export interface AirAdvert {
  /** Advertising data (AD structures) as the controller reports it. */
  readonly data: Uint8Array;
  readonly address: string;
  readonly addressType: 0 | 1;
  readonly eventType: number;
  /** Tx calibration used by the radio model (dBm at 1 m). */
  readonly txPowerAt1m: number;
}

export interface Device {
  readonly id: string;
  /** Advert interval (ms), fixed per device as phones do. */
  readonly intervalMs: number;
  /** What it sends at `now` (epoch ms). */
  advert(now: number): AirAdvert;
}

export const ADDRESS_ROTATION_MS = 15 * 60_000;

export function randomAddress(rng: Rng): string {
  const b = rng.bytes(6);
  b[0] = (b[0]! & 0x3f) | 0x40; // resolvable private address: top bits 01
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** Rotates an address every ~15 min (with a per-device phase), without keeping a history. */
function rotatingAddress(rng: Rng): (now: number) => string {
  const phase = rng.uniform(0, ADDRESS_ROTATION_MS);
  const salt = rng.int(0, 2 ** 30);
  let slot = NaN;
  let current = '';
  return (now) => {
    const s = Math.floor((now + phase) / ADDRESS_ROTATION_MS);
    if (s !== slot) {
      slot = s;
      current = randomAddress(new Rng(splitmix(salt ^ s)));
    }
    return current;
  };
}

function splitmix(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export interface MemberPhoneOptions {
  member: string;
  /** The member's key (held by HQ and the phone, never by the gateway). */
  key: Uint8Array;
  programUuid: string;
  intervalMs: number;
  measuredPower?: number;
}

/** A member's phone: the program UUID, token = trunc32(HMAC(key, label ‖ epoch)) in major‖minor. */
export function memberPhone(o: MemberPhoneOptions, rng: Rng): Device {
  const address = rotatingAddress(rng);
  const power = o.measuredPower ?? -59;
  let epoch = NaN;
  let data: Uint8Array = new Uint8Array(0);
  return {
    id: `member:${o.member}`,
    intervalMs: o.intervalMs,
    advert(now) {
      const e = epochOf(now);
      if (e !== epoch) {
        epoch = e;
        const token = memberToken(o.key, e);
        data = iBeaconAdData(o.programUuid, token >>> 16, token & 0xffff, power);
      }
      return { data, address: address(now), addressType: 1, eventType: AdvType.ADV_NONCONN_IND, txPowerAt1m: power };
    },
  };
}

/** A fixed tag (trolley, staff badge): fixed UUID, major, minor; a fixed address. */
export function fixedTag(o: { id: string; uuid: string; major: number; minor: number; intervalMs: number }, rng: Rng): Device {
  const data = iBeaconAdData(o.uuid, o.major, o.minor, -59);
  const addr = randomAddress(rng);
  return {
    id: `tag:${o.id}`,
    intervalMs: o.intervalMs,
    advert: () => ({ data, address: addr, addressType: 1, eventType: AdvType.ADV_NONCONN_IND, txPowerAt1m: -59 }),
  };
}

export type StrangerKind = 'non-consenting-app' | 'other-beacon' | 'apple-continuity' | 'other-vendor';

/**
 * Someone else's device. `non-consenting-app`: the program UUID with a token no table holds
 * (a member who did not consent, or an app install without an account); the rest: other
 * companies' iBeacons and adverts that are not iBeacons at all.
 */
export function strangerDevice(kind: StrangerKind, programUuid: string, intervalMs: number, rng: Rng): Device {
  const address = rotatingAddress(rng);
  const key = rng.bytes(32);
  const otherUuid = Array.from(rng.bytes(16), (x) => x.toString(16).padStart(2, '0')).join('');
  const fixed = rng.bytes(20);
  let epoch = NaN;
  let data: Uint8Array = new Uint8Array(0);
  return {
    id: `stranger:${kind}:${Array.from(rng.bytes(4), (x) => x.toString(16)).join('')}`,
    intervalMs,
    advert(now) {
      if (kind === 'non-consenting-app') {
        const e = epochOf(now);
        if (e !== epoch) {
          epoch = e;
          const token = memberToken(key, e);
          data = iBeaconAdData(programUuid, token >>> 16, token & 0xffff, -59);
        }
      } else if (data.length === 0) {
        data =
          kind === 'other-beacon'
            ? iBeaconAdData(otherUuid, 7, 42, -59)
            : kind === 'apple-continuity'
              ? manufacturerAdData(Uint8Array.of(0x4c, 0x00, 0x10, 0x05, 0x01, 0x18, ...fixed.subarray(0, 4)))
              : manufacturerAdData(Uint8Array.of(0x06, 0x00, 0x01, 0x09, ...fixed.subarray(0, 16)));
      }
      const connectable = kind === 'apple-continuity' || kind === 'other-vendor';
      return { data, address: address(now), addressType: 1, eventType: connectable ? AdvType.ADV_IND : AdvType.ADV_NONCONN_IND, txPowerAt1m: -59 };
    },
  };
}

/** HQ's side: the token table for `members` for epochs e−1…e+1 around `now` (consenting only). */
export function tokenTableFor(
  members: ReadonlyArray<{ member: string; key: Uint8Array }>,
  now: number,
): Array<{ member: string; epoch: number; token: number }> {
  const e = epochOf(now);
  const out: Array<{ member: string; epoch: number; token: number }> = [];
  for (const m of members) for (const epoch of [e - 1, e, e + 1]) out.push({ member: m.member, epoch, token: memberToken(m.key, epoch) });
  return out;
}
