/**
 * Wire time of a basket on the till link (issue 14; docs/till-link.md "Long messages"). A pty
 * ignores the baud rate (DESIGN.md §10), so the time is computed from the bytes: every frame
 * of the message (STX, header, part header, body, ETX, CRC) plus one ACK byte back per frame,
 * 10 bits per byte (8N1). Stop-and-wait adds the ACK turnaround per frame on top (the
 * receiver's reaction; `turnaroundMs`, 1 ms assumed here, not measured on a real till).
 * Lines as the firmware-sim till rings them (13-digit EAN, category, qty, amount).
 *   npx tsx test/bench/till-basket-wire.ts
 * Last line: one JSON object.
 */
import { encodeFrame } from '../../gateway/core/till/frame';
import { splitMessage } from '../../gateway/core/till/message-parts';
import { CATALOGUE } from '../../firmware-sim/till/catalogue';

const turnaroundMs = 1;
const rows = [5, 18, 30, 80, 250, 1150, 2000].map((n) => {
  const lines = Array.from({ length: n }, (_, i) => {
    const item = CATALOGUE[i % CATALOGUE.length]!;
    const qty = 1 + (i % 3);
    return { sku: item.sku, category: item.category, qty, amountCents: item.priceCents * qty };
  });
  const body = JSON.stringify({
    v: 1,
    id: '01J9Z3K8Q2ABCDEFGHJKMNPQRS',
    type: 'sale',
    receipt: 'lane-1-000123',
    member: 'M-100001',
    lines,
    tenders: [{ kind: 'card', amountCents: lines.reduce((a, l) => a + l.amountCents, 0) }],
  });
  const parts = splitMessage(body);
  const wire = parts.reduce((a, p, i) => a + encodeFrame(i & 0xff, p).length + 1, 0);
  const at = (baud: number) => Math.round(((wire * 10) / baud) * 1000 + parts.length * turnaroundMs);
  return { lines: n, bodyBytes: Buffer.byteLength(body), frames: parts.length, wireBytes: wire, ms115200: at(115200), ms9600: at(9600) };
});
console.log('lines  body B  frames  wire B  @115200 ms  @9600 ms');
for (const r of rows) {
  console.log(
    `${String(r.lines).padStart(5)}  ${String(r.bodyBytes).padStart(6)}  ${String(r.frames).padStart(6)}  ${String(r.wireBytes).padStart(6)}  ${String(r.ms115200).padStart(10)}  ${String(r.ms9600).padStart(8)}`,
  );
}
console.log(JSON.stringify({ bench: 'till-basket-wire', turnaroundMs, rows }));
