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

const DECIMAL = /^-?\d+(\.\d+)?$/;

interface SchemaNode {
  type?: string | string[];
  anyOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

function typesOf(schema: SchemaNode): Set<string> {
  const types = new Set<string>([schema.type ?? []].flat());
  for (const branch of schema.anyOf ?? []) for (const t of typesOf(branch)) types.add(t);
  return types;
}

function asksNumberOnly(types: Set<string>): boolean {
  return (types.has('number') || types.has('integer')) && !types.has('string');
}

/**
 * Numbers take a JSON number or a plain decimal string only. Returns the first field where
 * `schema` asks for a number and `value` holds anything else (`"   "`, `"0x10"`, `true`, a
 * `null` the schema does not allow), else undefined; with `convert`, decimal strings inside
 * objects and arrays become numbers in place. Ajv's coercion, which query strings need, would
 * take `"   "` as 0, `"0x10"` as 16, `true` as 1, and even a `null` allowed by a union as 0.
 */
export function looseNumberField(schema: unknown, value: unknown, path: string, convert = false): string | undefined {
  if (typeof schema !== 'object' || schema === null || value === undefined) return undefined;
  const node = schema as SchemaNode;
  const types = typesOf(node);
  if (types.has('number') || types.has('integer')) {
    const loose =
      (typeof value === 'string' && !types.has('string') && !DECIMAL.test(value)) ||
      (typeof value === 'boolean' && !types.has('boolean')) ||
      (value === null && !types.has('null'));
    if (loose) return path;
  }
  const branches = [node, ...(node.anyOf ?? [])];
  const visit = (inner: SchemaNode, parent: Record<string | number, unknown>, key: string | number): string | undefined => {
    const hit = looseNumberField(inner, parent[key], path ? `${path}.${key}` : String(key), convert);
    if (hit === undefined && convert && typeof parent[key] === 'string' && asksNumberOnly(typesOf(inner))) parent[key] = Number(parent[key]);
    return hit;
  };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const branch of branches) {
      for (const [key, inner] of Object.entries(branch.properties ?? {})) {
        const hit = visit(inner, value as Record<string, unknown>, key);
        if (hit !== undefined) return hit;
      }
    }
  } else if (Array.isArray(value)) {
    for (const branch of branches) {
      if (branch.items === undefined) continue;
      for (let index = 0; index < value.length; index++) {
        const hit = visit(branch.items, value as unknown as Record<number, unknown>, index);
        if (hit !== undefined) return hit;
      }
    }
  }
  return undefined;
}

/** True when a schema asks for a number anywhere, so its route needs `looseNumberField`'s check. */
export function asksForNumber(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const node = schema as SchemaNode;
  const types = typesOf(node);
  if (types.has('number') || types.has('integer')) return true;
  return [...Object.values(node.properties ?? {}), ...(node.items ? [node.items] : []), ...(node.anyOf ?? [])].some(asksForNumber);
}
