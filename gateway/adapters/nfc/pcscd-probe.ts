/**
 * Is pcscd there? nfc-pcsc's constructor loops on SCardEstablishContext while the service is
 * absent, spinning the main thread at 100 % (DESIGN.md §10), so the adapter asks first: the
 * socket file must exist and accept a connection (a stale file left by a killed pcscd does
 * not).
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

export type PcscdProbe = { ok: true } | { ok: false; why: string };

export function probePcscd(socketPath: string, timeoutMs = 1000): Promise<PcscdProbe> {
  if (!existsSync(socketPath)) return Promise.resolve({ ok: false, why: `pcscd not running (${socketPath} missing)` });
  return new Promise((resolve) => {
    const sock = connect({ path: socketPath });
    const done = (r: PcscdProbe) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, why: `pcscd not answering on ${socketPath}` }), timeoutMs);
    sock.once('connect', () => done({ ok: true }));
    sock.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, why: `pcscd not running (${socketPath}: ${e.code ?? e.message})` }));
  });
}
