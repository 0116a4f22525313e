/**
 * docs/asyncapi.yaml: a valid AsyncAPI 3 document (checked with @asyncapi/parser), generated
 * from the same schemas the code validates with (so it cannot drift), covering every topic.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { renderAsyncApi } from '../../sync/schemas/asyncapi';
import { eventTypes } from '../../sync/schemas/catalogue';
import { commandSchemas } from '../../sync/schemas/downlink';

const FILE = resolve(import.meta.dirname, '../../docs/asyncapi.yaml');

describe('AsyncAPI document', () => {
  it('is what sync/schemas/asyncapi.ts generates (regenerate: tsx sync/schemas/asyncapi.ts > docs/asyncapi.yaml)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(renderAsyncApi());
  });

  it('parses as AsyncAPI 3 without errors and covers every topic', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(FILE, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    for (const t of eventTypes()) expect(addresses).toContain(`trouw/v1/{store}/{gateway}/evt/${t}`);
    for (const name of Object.keys(commandSchemas)) expect(addresses).toContain(`trouw/v1/{store}/{gateway}/cmd/${name}`);
    expect(addresses).toContain('trouw/v1/{store}/{gateway}/cfg');
    expect(addresses).toContain('trouw/v1/{store}/{gateway}/status');
    const names = document!
      .messages()
      .all()
      .map((m) => m.name());
    for (const t of eventTypes()) expect(names).toContain(t);
  });
});
