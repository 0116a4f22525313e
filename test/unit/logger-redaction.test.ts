import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/adapters/logging/create-logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('logger redaction', () => {
  it('censors member numbers and card tokens at the top level and one level down', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    log.info({ member: 'M-12345', token: 'abcdef0123456789', sale: { memberNumber: 'M-999', cardToken: 'tok-secret' } }, 'sale');
    const out = lines.join('');
    expect(out).not.toContain('M-12345');
    expect(out).not.toContain('abcdef0123456789');
    expect(out).not.toContain('M-999');
    expect(out).not.toContain('tok-secret');
    expect(out).toContain('[redacted]');
  });
});
