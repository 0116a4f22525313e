/**
 * bench:offers, the phones' side: its own process (so parsing 500 SSE streams does not share
 * the gateway's event loop), started by offers.bench.ts with IPC. Holds one PhoneApp
 * (firmware-sim/phone) per member over loopback and reports what each received and when.
 *   parent → {type:'start', baseUrl, phones:[{member, credential}]}   child → {type:'ready'}
 *   parent → {type:'collect'}   child → {type:'received', offers:[{member, id, offerId, receivedAt}]}
 *   parent → {type:'stop'}
 */
import { PhoneApp } from '../../firmware-sim/phone/phone-app';

type FromParent = { type: 'start'; baseUrl: string; phones: Array<{ member: string; credential: string }> } | { type: 'collect' } | { type: 'stop' };

const phones = new Map<string, PhoneApp>();
const send = (m: unknown) => process.send?.(m);

process.on('message', (raw) => {
  const m = raw as FromParent;
  if (m.type === 'start') {
    let seed = 1;
    for (const p of m.phones) {
      const app = new PhoneApp({
        baseUrl: m.baseUrl,
        credential: p.credential,
        reconnectMs: 500,
        openRate: 0.5,
        random: () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32,
      });
      app.start();
      phones.set(p.member, app);
    }
    const check = setInterval(() => {
      if ([...phones.values()].every((a) => a.status === 200)) {
        clearInterval(check);
        send({ type: 'ready' });
      }
    }, 50);
  } else if (m.type === 'collect') {
    const offers = [...phones].flatMap(([member, app]) =>
      [...app.received.values()].map((o) => ({ member, id: o.id, offerId: o.offerId, receivedAt: o.receivedAt })),
    );
    send({ type: 'received', offers });
  } else if (m.type === 'stop') {
    for (const app of phones.values()) app.stop();
    process.disconnect?.();
    setTimeout(() => process.exit(0), 200).unref();
  }
});
