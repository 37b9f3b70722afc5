import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import { Ajv } from 'ajv';
import { asksForNumber, looseNumberField } from '../admin/validate.js';
import { badRequest } from '../errors.js';

const PARTS = [
  ['body', 'body'],
  ['querystring', 'query'],
  ['params', 'params'],
] as const;

/**
 * Request validation. Query strings and path parameters arrive as text, so their scalars are
 * coerced ("2.5" -> 2.5); a JSON body already has its types and is checked as sent. An array
 * where a string belongs (a repeated key) is an error, not silently its first item, and an
 * unknown field in a closed schema is reported rather than dropped. Numbers take a JSON number
 * or a plain decimal string only, checked before Ajv sees them (admin/validate.ts says why).
 * Must be registered before the routes.
 */
export function registerValidation(app: FastifyInstance): void {
  const options = { removeAdditional: false, allErrors: false, useDefaults: true, strict: false } as const;
  const fromText = new Ajv({ ...options, coerceTypes: true });
  const asSent = new Ajv({ ...options, coerceTypes: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? asSent : fromText).compile(schema));

  app.addHook('onRoute', (route) => {
    // A route with a validator of its own (Chartboost's signed bodies) reads its input itself.
    if (route.validatorCompiler !== undefined) return;
    const schema = route.schema as Record<string, unknown> | undefined;
    const parts = PARTS.filter(([part]) => asksForNumber(schema?.[part]));
    if (parts.length === 0) return;
    const check: preValidationHookHandler = (request, _reply, done) => {
      for (const [part, property] of parts) {
        const field = looseNumberField(schema![part], request[property], '', part === 'body');
        if (field !== undefined) {
          done(badRequest(`${field || property}: must be a number (a JSON number or a plain decimal string)`));
          return;
        }
      }
      done();
    };
    route.preValidation = [...[route.preValidation ?? []].flat(), check];
  });
}
