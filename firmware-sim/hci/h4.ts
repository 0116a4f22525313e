/**
 * H4 framing for the HCI controller emulator (DESIGN.md §3). Packet types: 0x01 command
 * (opcode u16 LE, length u8), 0x02 ACL (handle u16, length u16), 0x04 event (code u8,
 * length u8). Pure functions over bytes.
 */

export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_EVENT = 0x04;

export const EVT_COMMAND_COMPLETE = 0x0e;
export const EVT_LE_META = 0x3e;
export const LE_ADVERTISING_REPORT = 0x02;

/** Advertising event types of an LE Advertising Report. */
export const AdvType = { ADV_IND: 0x00, ADV_DIRECT_IND: 0x01, ADV_SCAN_IND: 0x02, ADV_NONCONN_IND: 0x03, SCAN_RSP: 0x04 } as const;

export interface HciCommand {
  readonly opcode: number;
  readonly params: Buffer;
}

/**
 * Splits an incoming byte stream into HCI commands. Bytes that cannot start a packet are
 * skipped (counted); ACL packets are consumed and ignored (a scanner never connects).
 */
export class H4CommandReader {
  private buf = Buffer.alloc(0);
  skipped = 0;

  push(chunk: Uint8Array): HciCommand[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: HciCommand[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      const type = this.buf[0]!;
      if (type === H4_COMMAND) {
        if (this.buf.length < 4) break;
        const len = this.buf[3]!;
        if (this.buf.length < 4 + len) break;
        out.push({ opcode: this.buf.readUInt16LE(1), params: Buffer.from(this.buf.subarray(4, 4 + len)) });
        this.buf = this.buf.subarray(4 + len);
      } else if (type === H4_ACL) {
        if (this.buf.length < 5) break;
        const len = this.buf.readUInt16LE(3);
        if (this.buf.length < 5 + len) break;
        this.buf = this.buf.subarray(5 + len);
      } else {
        this.skipped++;
        this.buf = this.buf.subarray(1);
      }
    }
    return out;
  }
}

/** `04 0E len numPackets opcode(LE) status params`. */
export function commandComplete(opcode: number, status: number, params: Uint8Array = new Uint8Array(0), numPackets = 1): Buffer {
  const b = Buffer.alloc(7 + params.length);
  b[0] = H4_EVENT;
  b[1] = EVT_COMMAND_COMPLETE;
  b[2] = 4 + params.length;
  b[3] = numPackets;
  b.writeUInt16LE(opcode, 4);
  b[6] = status;
  b.set(params, 7);
  return b;
}

export interface AdvertisingReport {
  /** AdvType; ADV_NONCONN_IND (3) for beacons. */
  readonly eventType: number;
  /** 0 public, 1 random. */
  readonly addressType: number;
  /** `AA:BB:CC:DD:EE:FF` as printed (most significant byte first). */
  readonly address: string;
  /** The advertising data (AD structures), ≤ 31 bytes. */
  readonly data: Uint8Array;
  /** dBm, int8; 127 = unknown. */
  readonly rssi: number;
}

/** One LE Advertising Report per event (DESIGN.md §3): `04 3E len 02 01 type addrType addr[6] LE dataLen data rssi`. */
export function advertisingReport(r: AdvertisingReport): Buffer {
  if (r.data.length > 31) throw new RangeError(`advertising data is ${r.data.length} bytes (max 31)`);
  const addr = parseAddress(r.address);
  const paramLen = 1 + 1 + 1 + 1 + 6 + 1 + r.data.length + 1;
  const b = Buffer.alloc(3 + paramLen);
  let i = 0;
  b[i++] = H4_EVENT;
  b[i++] = EVT_LE_META;
  b[i++] = paramLen;
  b[i++] = LE_ADVERTISING_REPORT;
  b[i++] = 1; // numReports
  b[i++] = r.eventType;
  b[i++] = r.addressType;
  for (let k = 5; k >= 0; k--) b[i++] = addr[k]!; // little-endian on the wire
  b[i++] = r.data.length;
  b.set(r.data, i);
  i += r.data.length;
  b.writeInt8(Math.max(-128, Math.min(127, Math.round(r.rssi))), i);
  return b;
}

export function parseAddress(address: string): Uint8Array {
  const parts = address.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`bad address ${address}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** iBeacon advertising data: flags (LE General, BR/EDR not supported) + manufacturer data 4C 00 02 15. */
export function iBeaconAdData(uuid: string, major: number, minor: number, measuredPower: number): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`bad uuid ${uuid}`);
  const b = Buffer.alloc(30);
  b.set([0x02, 0x01, 0x06, 0x1a, 0xff, 0x4c, 0x00, 0x02, 0x15], 0);
  Buffer.from(hex, 'hex').copy(b, 9);
  b.writeUInt16BE(major & 0xffff, 25);
  b.writeUInt16BE(minor & 0xffff, 27);
  b.writeInt8(measuredPower, 29);
  return b;
}

/** Advertising data with a manufacturer-specific structure only (other vendors' devices). */
export function manufacturerAdData(payload: Uint8Array): Buffer {
  if (payload.length > 26) throw new RangeError('manufacturer payload too long');
  return Buffer.concat([Buffer.from([0x02, 0x01, 0x06, payload.length + 1, 0xff]), payload]);
}

/** Wire time of `bytes` at `baud` 8N1 (10 bits per byte); a pty ignores the baud rate. */
export const wireTimeMs = (bytes: number, baud: number): number => (bytes * 10 * 1000) / baud;
