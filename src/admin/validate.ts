import { Ajv, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import { badRequest } from '../errors.js';
import { describeValidation } from '../http/error-handler.js';

// The CLI validates its input with the same schemas and the same Ajv the HTTP routes use, so
// `s2s apps create --platform tv` and `POST /admin/apps {"platform":"tv"}` fail with one message.
const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** Returns the value typed by its schema, or throws a 400 AppError naming the first bad field. */
export function validate<S extends TSchema>(schema: S, value: unknown): Static<S> {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(schema, check);
  }
  if (!check(value)) throw badRequest(describeValidation(check.errors ?? [], 'input'));
  return value as Static<S>;
}
