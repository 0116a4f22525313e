/**
 * From a frame body (text) to a typed till request, or to the error the till gets back.
 * Order of checks: JSON → an object → `v` → `type` → the type's schema. Never throws.
 * Each schema is compiled once (TypeCompiler) at module load.
 */
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { tillRequestSchemas, type TillErrorCode, type TillRequest, type TillRequestType } from '../../core/till/messages';
import { err, ok, type Result } from '../../core/result';

// TypeBox's compiler rejects every value of a format it does not know, so the `at` of a sale
// (format date-time) needs one. RFC 3339 with an explicit offset: a time without a zone
// cannot be placed on the store's calendar.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
}

const checks = Object.fromEntries(Object.entries(tillRequestSchemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TSchema)])) as Record<
  TillRequestType,
  TypeCheck<TSchema>
>;

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface TillRequestError {
  /** The request's id when it had a usable one, else "?". */
  id: string;
  code: TillErrorCode;
  message: string;
}

const fail = (id: string, code: TillErrorCode, message: string) => err<TillRequestError>({ id, code, message });

export function parseTillRequest(body: string): Result<TillRequest, TillRequestError> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return fail('?', 'bad-json', 'body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('?', 'bad-request', '/: expected a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const id = typeof obj.id === 'string' && ID.test(obj.id) ? obj.id : '?';
  if (obj.v === undefined) return fail(id, 'bad-request', '/v: required (protocol version 1)');
  if (obj.v !== 1) return fail(id, 'unsupported-version', `version ${JSON.stringify(obj.v)} is not supported; this gateway speaks v1`);
  if (typeof obj.type !== 'string') return fail(id, 'bad-request', '/type: required string');
  if (!Object.hasOwn(checks, obj.type)) return fail(id, 'unknown-type', `unknown message type ${JSON.stringify(obj.type.slice(0, 32))}`);
  const check = checks[obj.type as TillRequestType];
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    return fail(id, 'bad-request', first ? `${first.path || '/'}: ${first.message}` : 'body does not match its schema');
  }
  return ok(value as TillRequest);
}
