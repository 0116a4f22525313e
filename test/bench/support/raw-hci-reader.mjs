/* global process, Buffer, console */
/**
 * The raw baseline of bench:presence-throughput: the least a process can do with a scanner's
 * byte stream. Opens the UART (a pty) with serialport, as noble's UART socket does, resets
 * the controller and enables LE scanning with two bare HCI commands, then splits the H4
 * stream into packets and takes each LE Advertising Report's manufacturer data and RSSI,
 * counting those that start with the accepted prefix. No noble, no IPC, no engine, no store.
 *
 *   node raw-hci-reader.mjs PORT ACCEPT_HEX_PREFIX
 * Prints `{"heard":N,"passed":N}` on stdout for every line read on stdin; exits on `quit`.
 * Plain JavaScript (no TypeScript loader), like the scanner worker it is compared with.
 */
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import tty from 'node:tty';

const [path, acceptHex = ''] = process.argv.slice(2);
if (!path) {
  console.error('usage: raw-hci-reader.mjs PORT [ACCEPT_HEX_PREFIX]');
  process.exit(2);
}
const accept = Buffer.from(acceptHex, 'hex');
const port = new SerialPort({ path, baudRate: 1_000_000, autoOpen: false });
const counts = { heard: 0, passed: 0 };

let pending = Buffer.alloc(0);
const onPacket = (p) => {
  if (p[0] !== 0x04 || p[1] !== 0x3e || p[3] !== 0x02) return;
  let o = 5;
  for (let r = 0; r < p[4]; r++) {
    const len = p[o + 8];
    const end = o + 9 + len;
    if (end >= p.length) break;
    let md;
    for (let i = o + 9; i + 1 < end;) {
      const l = p[i];
      if (l < 1 || i + l + 1 > end) break;
      if (p[i + 1] === 0xff) md = p.subarray(i + 2, i + l + 1);
      i += l + 1;
    }
    counts.heard++;
    if (md && p[end] !== 127 && md.length >= accept.length && md.compare(accept, 0, accept.length, 0, accept.length) === 0) counts.passed++;
    o = end + 1;
  }
};
const onData = (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  let o = 0;
  // Events only (the controller sends nothing else): 04, code, length, parameters.
  while (pending.length - o >= 3 && pending.length - o >= 3 + pending[o + 2]) {
    const n = 3 + pending[o + 2];
    onPacket(pending.subarray(o, o + n));
    o += n;
  }
  pending = o === pending.length ? Buffer.alloc(0) : pending.subarray(o);
};
port.on('error', () => undefined);
// The bytes through libuv's tty handle, as the scanner worker reads them (scanner-worker.mjs):
// serialport only opens and configures the port and writes; its own reads never start.
port._read = () => undefined;
port.open((e) => {
  if (e) {
    console.error(`raw-hci-reader: ${e.message}`);
    process.exit(1);
  }
  new tty.ReadStream(port.port.fd).on('data', onData).on('error', () => undefined);
  port.write(Buffer.from('01030c00', 'hex')); // HCI Reset
  port.write(Buffer.from('010c20020100', 'hex')); // LE Set Scan Enable: on, duplicates not filtered
});
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'quit') port.close(() => process.exit(0));
  else process.stdout.write(`${JSON.stringify(counts)}\n`);
});
