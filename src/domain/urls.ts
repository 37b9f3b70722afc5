import { badRequest } from '../errors.js';

/**
 * An http(s) URL as the URL parser (WHATWG, as undici and browsers read it) reads it, or a 400
 * naming the field: what is stored is what can be sent or redirected to.
 */
export function parseHttpUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest(`${field}: "${value}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest(`${field}: must be an http or https URL`);
  if (url.hostname === '') throw badRequest(`${field}: has no host`);
  return url;
}
