/**
 * Compiled TypeBox checkers with short error lists. Compiling once per schema keeps the
 * per-message cost at HQ and at the gateway low (ingest validates every event).
 */
import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

export interface SchemaProblem {
  path: string;
  message: string;
}

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

export function compiled<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = cache.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    cache.set(schema, c);
  }
  return c as TypeCheck<T>;
}

/** Checks `value`; on failure returns up to `max` problems (path and message). */
export function check<T extends TSchema>(schema: T, value: unknown, max = 5): { ok: true; value: Static<T> } | { ok: false; problems: SchemaProblem[] } {
  const c = compiled(schema);
  if (c.Check(value)) return { ok: true, value: value as Static<T> };
  const problems: SchemaProblem[] = [];
  for (const e of c.Errors(value)) {
    problems.push({ path: e.path || '/', message: e.message });
    if (problems.length >= max) break;
  }
  return { ok: false, problems };
}

export const describeProblems = (p: SchemaProblem[]): string => p.map((x) => `${x.path}: ${x.message}`).join('; ');
