/**
 * A member's phone app (issue 8): holds the offer stream with an HQ-signed credential,
 * reconnects after a drop (offers still valid are replayed; ids dedupe), reports shown for
 * every offer and opens or dismisses some (seeded choice), and logs what it received.
 * Advertising the rotating token is advertiser.ts (into HCI controller emulators) or
 * presence's store simulator (firmware-sim/store): pair them by member number.
 */
import { request, type ClientRequest } from 'node:http';

export interface PhoneAppOptions {
  baseUrl: string;
  credential: string;
  /** Chance (0…1) an offer is opened; the rest are dismissed. */
  openRate?: number;
  random?: () => number;
  log?: (line: string) => void;
  reconnectMs?: number;
}

export interface ReceivedOffer {
  id: string;
  offerId: string;
  code: string;
  title: { nl: string; en: string };
  receivedAt: number;
}

export class PhoneApp {
  readonly received = new Map<string, ReceivedOffer>();
  readonly withdrawn = new Set<string>();
  private req: ClientRequest | undefined;
  private stopped = false;
  status = 0;

  constructor(private readonly o: PhoneAppOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.req?.destroy();
  }

  private connect(): void {
    const req = request(`${this.o.baseUrl}/api/phone/offers`, { headers: { authorization: `Bearer ${this.o.credential}` } }, (res) => {
      this.status = res.statusCode ?? 0;
      if (this.status !== 200) {
        this.o.log?.(`stream refused: ${this.status}`);
        res.resume();
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          this.onBlock(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      });
      res.on('end', () => this.retry());
      res.on('error', () => this.retry());
    });
    req.on('error', () => this.retry());
    req.end();
    this.req = req;
  }

  private retry(): void {
    if (!this.stopped) setTimeout(() => this.connect(), this.o.reconnectMs ?? 2000).unref();
  }

  private onBlock(block: string): void {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (!event || !data) return;
    const d = JSON.parse(data) as ReceivedOffer;
    if (event === 'withdrawn') {
      this.withdrawn.add(d.id);
      this.o.log?.(`withdrawn ${d.id}`);
    } else if (event === 'offer' && !this.received.has(d.id)) {
      this.received.set(d.id, { ...d, receivedAt: Date.now() });
      this.o.log?.(`offer ${d.offerId} "${d.title.en}" code ${d.code}`);
      void this.react(d.id);
    }
  }

  private async react(id: string): Promise<void> {
    await this.report(id, 'shown');
    const open = (this.o.random ?? Math.random)() < (this.o.openRate ?? 0.5);
    await this.report(id, open ? 'opened' : 'dismissed');
  }

  report(id: string, what: 'shown' | 'opened' | 'dismissed'): Promise<number> {
    return fetch(`${this.o.baseUrl}/api/phone/offers/${id}/${what}`, { method: 'POST', headers: { authorization: `Bearer ${this.o.credential}` } })
      .then((r) => r.status)
      .catch(() => 0);
  }
}
