/** The HCI controller emulator and its H4 codec (DESIGN.md §3), without a serial line. */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { H4CommandReader, advertisingReport, commandComplete, iBeaconAdData, wireTimeMs } from '../../firmware-sim/hci/h4';
import { HciControllerEmulator, Op } from '../../firmware-sim/hci/controller';
import { parseIBeacon } from '../../gateway/core/presence/ibeacon';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const VECTOR = hex(`04 3E 2A 02 01 03 01 01 00 00 EE FF C0 1E 02 01 06 1A FF 4C 00 02 15 2F 23 44 54 CF 6D 4A
0F AD F2 F4 91 1B A9 FF A6 00 01 00 02 C5 BD`);

/** A host end: what the emulator writes is kept; `send` plays noble writing a command. */
class Line extends EventEmitter {
  readonly out: Buffer[] = [];
  write(b: Buffer): boolean {
    this.out.push(Buffer.from(b));
    return true;
  }
  send(b: Buffer): void {
    this.emit('data', b);
  }
  take(): Buffer {
    const all = Buffer.concat(this.out);
    this.out.length = 0;
    return all;
  }
}

const cmd = (opcode: number, params = Buffer.alloc(0)) => {
  const b = Buffer.alloc(4 + params.length);
  b[0] = 1;
  b.writeUInt16LE(opcode, 1);
  b[3] = params.length;
  params.copy(b, 4);
  return b;
};

describe('H4 codec', () => {
  it('encodes the DESIGN.md test vector byte for byte', () => {
    const data = iBeaconAdData('2f234454-cf6d-4a0f-adf2-f4911ba9ffa6', 1, 2, -59);
    expect(advertisingReport({ eventType: 3, addressType: 1, address: 'C0:FF:EE:00:00:01', data, rssi: -67 })).toEqual(VECTOR);
  });

  it('the vector manufacturer data parses as the iBeacon it carries', () => {
    // manufacturerData is the AD structure of type 0xFF without its length and type bytes.
    const md = VECTOR.subarray(3 + 1 + 1 + 1 + 1 + 6 + 1 + 5, VECTOR.length - 1);
    expect(parseIBeacon(md)).toEqual({ uuid: '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6', major: 1, minor: 2, measuredPower: -59 });
    expect(VECTOR.readInt8(VECTOR.length - 1)).toBe(-67);
  });

  it('Reset is answered with exactly 04 0E 04 01 03 0C 00', () => {
    expect(commandComplete(Op.RESET, 0)).toEqual(hex('040e0401030c00'));
  });

  it('splits commands across and within chunks, skips junk and ACL', () => {
    const r = new H4CommandReader();
    const stream = Buffer.concat([hex('ff'), cmd(0x0c03), hex('02 01 00 02 00 aa bb'), cmd(0x200c, hex('0100'))]);
    const got = [...stream].flatMap((byte) => r.push(Uint8Array.of(byte)));
    expect(got.map((c) => [c.opcode, c.params.toString('hex')])).toEqual([
      [0x0c03, ''],
      [0x200c, '0100'],
    ]);
    expect(r.skipped).toBe(1);
  });

  it('computes wire time (a pty does not)', () => {
    expect(wireTimeMs(46, 1_000_000)).toBeCloseTo(0.46);
  });
});

describe('HCI controller emulator', () => {
  it('answers what noble sends at start, per the command table', () => {
    const line = new Line();
    new HciControllerEmulator(line, { address: '00:1A:7D:DA:71:01' });
    const answers: Record<number, string> = {
      [Op.RESET]: '',
      [Op.SET_EVENT_MASK]: '',
      [Op.LE_SET_EVENT_MASK]: '',
      [Op.LE_READ_LOCAL_FEATURES]: '0100000000000000',
      [Op.READ_LOCAL_VERSION]: '09000009f1050000',
      [Op.WRITE_LE_HOST_SUPPORTED]: '',
      [Op.READ_LE_HOST_SUPPORTED]: '0100',
      [Op.LE_READ_BUFFER_SIZE]: 'fb0008',
      [Op.READ_BD_ADDR]: '0171da7d1a00',
      [Op.LE_SET_SCAN_PARAMETERS]: '',
    };
    for (const [op, params] of Object.entries(answers)) {
      line.send(cmd(Number(op)));
      expect(line.take()).toEqual(commandComplete(Number(op), 0, hex(params)));
    }
    expect(parseInt(answers[Op.READ_LOCAL_VERSION]!.slice(0, 2), 16)).toBeGreaterThanOrEqual(6); // noble: else unsupported
  });

  it('answers an unknown command with status 0x01', () => {
    const line = new Line();
    const emu = new HciControllerEmulator(line);
    line.send(cmd(0x2041, hex('00')));
    expect(line.take()).toEqual(commandComplete(0x2041, 0x01));
    expect(emu.counters.unknownCommands).toBe(1);
  });

  it('streams reports only while scanning, one per event', () => {
    const line = new Line();
    const emu = new HciControllerEmulator(line);
    const report = {
      eventType: 3,
      addressType: 1,
      address: 'C0:FF:EE:00:00:01',
      data: iBeaconAdData('2f234454-cf6d-4a0f-adf2-f4911ba9ffa6', 1, 2, -59),
      rssi: -67,
    };
    expect(emu.report(report)).toBe(false);
    line.send(cmd(Op.LE_SET_SCAN_ENABLE, hex('0100')));
    line.take();
    expect(emu.report(report)).toBe(true);
    expect(emu.report(report)).toBe(true);
    expect(line.out).toEqual([VECTOR, VECTOR]);
    line.take();
    line.send(cmd(Op.LE_SET_SCAN_ENABLE, hex('0001')));
    line.take();
    expect(emu.report(report)).toBe(false);
    expect(emu.counters.reportsNotScanning).toBe(2);
    // A reset stops scanning too.
    line.send(cmd(Op.LE_SET_SCAN_ENABLE, hex('0100')));
    line.send(cmd(Op.RESET));
    expect(emu.scanning).toBe(false);
  });
});
