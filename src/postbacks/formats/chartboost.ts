/** What the Chartboost formats share: their base URL and the client that builds and signs their requests. */
import { parseHttpUrl } from '../../domain/urls.js';
import { badRequest } from '../../errors.js';
import { ChartboostClient } from '../../client/index.js';
import type { CredentialField, Postback, Requirement, TriggerContext } from './format-spec.js';

export const CHARTBOOST_BASE_URL = 'https://live.chartboost.com';

/** What a Chartboost format needs: the network's token, and its secret when its requests are signed. */
export function chartboostCredentials(format: string, { signed }: { signed: boolean }): Record<CredentialField, Requirement> {
  return {
    url: 'optional',
    token: { required: `token: is required for ${format}` },
    secret: signed ? { required: `secret: is required for ${format} (its requests are signed)` } : 'optional',
    app_signature: 'optional',
  };
}

/** A base URL as stored: http(s), no query or fragment, no trailing `/` (the endpoint paths are added to it). */
export function storedBaseUrl(url: string | undefined): string {
  const base = parseHttpUrl('url', url ?? CHARTBOOST_BASE_URL);
  if (base.search !== '' || base.hash !== '') throw badRequest('url: a base URL takes no query or fragment (the endpoint paths are added to it)');
  return base.href.replace(/\/+$/, '');
}

/** The client for one postback: its own app signature, else the app's. */
export function chartboostClient(postback: Postback, ctx: TriggerContext): ChartboostClient {
  return new ChartboostClient({
    baseUrl: postback.url,
    token: postback.token ?? '',
    secret: postback.secret ?? undefined,
    appSignature: postback.app_signature ?? ctx.app.app_signature,
  });
}
