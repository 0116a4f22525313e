/**
 * Turns a schema failure into the one line a store IT person needs: the key, the value
 * found and what was expected (STYLE.md §6).
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';

export interface ConfigProblem {
  key: string;
  value: unknown;
  expected: string;
}

const show = (v: unknown): string => (v === undefined ? '(missing)' : JSON.stringify(v));

/** `key = value: expected …`, without the `config:` prefix (a problem inside another file). */
export function describeProblem(p: ConfigProblem): string {
  return `${p.key || '(root)'} = ${show(p.value)}: expected ${p.expected}`;
}

export function formatProblem(p: ConfigProblem): string {
  return `config: ${describeProblem(p)}`;
}

function keyOf(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.');
}

function literalChoices(schema: TSchema): string | undefined {
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!members || !members.every((m) => m.const !== undefined)) return undefined;
  return `one of ${members.map((m) => JSON.stringify(m.const)).join(', ')}`;
}

/** A union of objects told apart by a literal field (e.g. lanes by `transport`). */
function discriminated(schema: TSchema, value: unknown, path: string): ConfigProblem | undefined {
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!members || typeof value !== 'object' || value === null) return undefined;
  for (const field of ['transport', 'kind', 'type']) {
    const options = members.map((m) => (m.properties as Record<string, TSchema> | undefined)?.[field]?.const).filter((c) => c !== undefined);
    if (options.length !== members.length) continue;
    const actual = (value as Record<string, unknown>)[field];
    const match = members.find((m) => (m.properties as Record<string, TSchema>)[field]!.const === actual);
    if (!match) {
      return { key: keyOf(`${path}/${field}`), value: actual, expected: `one of ${options.map((o) => JSON.stringify(o)).join(', ')}` };
    }
    const inner = firstProblem(match, value);
    return inner && { ...inner, key: keyOf(`${path}${inner.key ? '/' + inner.key.replace(/\./g, '/') : ''}`) };
  }
  return undefined;
}

function expectedFrom(error: ValueError): string {
  const choices = literalChoices(error.schema);
  if (choices) return choices;
  if (error.message === 'Unexpected property') return 'no such key (check the spelling)';
  const s = error.schema;
  if (s[Kind] === 'Integer' || s[Kind] === 'Number') {
    const range = [
      s.minimum !== undefined ? `>= ${s.minimum}` : '',
      s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : '',
      s.maximum !== undefined ? `<= ${s.maximum}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return `${s[Kind] === 'Integer' ? 'a whole number' : 'a number'}${range ? ' ' + range : ''}`;
  }
  if ((s[Kind] === 'String' || s[Kind] === 'Union') && s.description) return `${s.description}`;
  return error.message.replace(/^Expected /, '');
}

/** The first problem found, or undefined when the value fits the schema. */
export function firstProblem(schema: TSchema, value: unknown): ConfigProblem | undefined {
  const error = Value.Errors(schema, value).First();
  if (!error) return undefined;
  if (literalChoices(error.schema) === undefined && (error.schema as { anyOf?: unknown }).anyOf) {
    const inner = discriminated(error.schema, error.value, error.path);
    if (inner) return inner;
  }
  return { key: keyOf(error.path), value: error.value, expected: expectedFrom(error) };
}
