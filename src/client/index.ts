/**
 * A TypeScript client for the Chartboost S2S APIs (seeds 003 and 004): builds and signs every
 * request, and sends it with the seeds' retry policy (5xx: back off 5 s, 10 s, 20 s, 40 s …
 * within a 24 h TTL). The server's postback dispatcher builds its requests with it too.
 *
 *   const cb = new ChartboostClient({ token, secret, appSignature });
 *   await send(cb.track({ app_id, gaid, iap: { product_id: 'gems', price: 1.99, currency: 'USD' } }));
 */
import { errors as undiciErrors, getGlobalDispatcher, type Dispatcher } from 'undici';
import { signChartboost } from '../protocols/chartboost/signature.js';

export { signChartboost, signatureMatches } from '../protocols/chartboost/signature.js';

/**
 * How an endpoint's answers are judged: by the HTTP status, or (Chartboost v1 install.json,
 * which always answers HTTP 200, seed 004) by the `status` in the JSON body.
 */
export type AnswerRule = 'http-status' | 'body-status';

export interface OutboundRequest {
  method: 'GET' | 'POST';
  /** Sent exactly as written: the path is not normalised (`%2E%2E` stays, as the log shows it). */
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** How its answers are judged; the HTTP status when not given. */
  answers?: AnswerRule | undefined;
}

export interface ChartboostClientOptions {
  /** Where the API lives; Chartboost's own host by default. */
  baseUrl?: string;
  token: string;
  /** The issued secret: needed for the signed endpoints (v1 install.json, v3 track). */
  secret?: string | undefined;
  /** The app's signature from the Chartboost dashboard: needed for the signed endpoints. */
  appSignature?: string | undefined;
}

type Devices = { idfa?: string; gaid?: string; uuid?: string; fire_adid?: string };

export interface OpenParams extends Devices {
  app_id: string;
  click_id?: string;
  completed_view_id?: string;
  tracking_id?: string;
  version?: string;
  rejected_reason?: string;
  rejected_value?: string;
  match_type?: string;
}

export interface InstallParams {
  app_id: string;
  claim: 0 | 1;
  gaid?: string;
  ifa?: string;
  uuid?: string;
  organic?: 0 | 1;
  attributed_to?: string;
  timestamp?: number;
}

export interface TrackParams {
  app_id: string;
  ifa?: string;
  gaid?: string;
  fire_adid?: string;
  uuid?: string;
  iap: { product_id: string; price: number; currency: string; localized_title?: string; localized_description?: string };
  click_id?: string;
  completed_view_id?: string;
  match_type?: string;
}

export const CHARTBOOST_PATHS = {
  install: '/api/v1/install.json',
  attributedInstall: '/api/v2/attributed_install',
  open: '/api/v2/open',
  track: '/event_service/v3/track',
} as const;

/** How each endpoint's answers are judged: install.json always answers HTTP 200 (seed 004). */
export const CHARTBOOST_ANSWERS = {
  install: 'body-status',
  attributedInstall: 'http-status',
  open: 'http-status',
  track: 'http-status',
} as const satisfies Record<keyof typeof CHARTBOOST_PATHS, AnswerRule>;

/** Drops undefined and blank fields so bodies carry only what is known. */
function compact<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

export class ChartboostClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ChartboostClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://live.chartboost.com').replace(/\/+$/, '');
  }

  /** v2 attributed install: a click (wins) or completed view id. */
  attributedInstall(ids: { click_id?: string; completed_view_id?: string }): OutboundRequest {
    return this.json(CHARTBOOST_PATHS.attributedInstall, compact({ token: this.options.token, ...ids }));
  }

  /** v2 open (bootup), for every device, attributed or not; with rejected_reason for a rejected install. */
  open(params: OpenParams): OutboundRequest {
    return this.json(CHARTBOOST_PATHS.open, compact({ token: this.options.token, ...params }));
  }

  /** v1 install, signed with `action:attribution`. */
  install(params: InstallParams): OutboundRequest {
    return { ...this.signed(CHARTBOOST_PATHS.install, 'attribution', compact(params)), answers: CHARTBOOST_ANSWERS.install };
  }

  /** v3 Post-Install Analytics purchase, signed with `action:pia`. */
  track(params: TrackParams): OutboundRequest {
    return this.signed(CHARTBOOST_PATHS.track, 'pia', compact(params));
  }

  private json(path: string, body: object): OutboundRequest {
    return { method: 'POST', url: this.baseUrl + path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }

  private signed(path: string, action: 'attribution' | 'pia', body: object): OutboundRequest {
    const { secret, appSignature, token } = this.options;
    if (!secret || !appSignature) throw new Error(`${path} is signed: the client needs secret and appSignature`);
    const text = JSON.stringify(body);
    return {
      method: 'POST',
      url: this.baseUrl + path,
      headers: {
        'content-type': 'application/json',
        'x-chartboost-token': token,
        'x-chartboost-signature': signChartboost(action, secret, appSignature, text),
      },
      body: text,
    };
  }
}

export interface Attempt {
  /** HTTP status, or null when no answer came (connection error, timeout, a URL that cannot be sent). */
  status: number | null;
  latencyMs: number;
  /** The first 500 characters of the answer. */
  responseStart: string | null;
  /** The answer's first 64 KB (ANSWER_LIMIT_BYTES): more is never read. */
  body: string | null;
  error: string | null;
  retryAfterMs: number | null;
  /** The request could not be built or sent as written (a bad URL): trying again cannot help. */
  unsendable?: boolean;
}

/** How much of an answer is read; the connection is dropped after it. */
export const ANSWER_LIMIT_BYTES = 64 * 1024;

/** What an HTTP status means under the seeds' policy. */
export function classify(status: number | null): 'delivered' | 'retry' | 'final' {
  if (status === null) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'final';
}

/** The `status` a Chartboost v1 answer carries in its JSON body, if it carries one. */
function bodyStatus(body: string | null): number | undefined {
  if (body === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const status = typeof parsed === 'object' && parsed !== null ? (parsed as { status?: unknown }).status : undefined;
    return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What an attempt's outcome means for the request it answered: its endpoint's rule, then the
 * seeds' policy. A body-status endpoint answering 2xx is judged by the body's `status` (5xx
 * retried, 4xx final); without one in the body, by the HTTP status.
 */
export function judge(req: Pick<OutboundRequest, 'answers'>, attempt: Attempt): 'delivered' | 'retry' | 'final' {
  if (attempt.unsendable) return 'final';
  const verdict = classify(attempt.status);
  if (req.answers !== 'body-status' || verdict !== 'delivered') return verdict;
  const status = bodyStatus(attempt.body);
  return status === undefined ? verdict : classify(status);
}

/**
 * The wait before retry number `attempt` (1 = the first retry): base, 2×, 4× … plus up to 10 %
 * jitter so a fleet of senders does not retry in lock-step. `Retry-After` (429) wins when given.
 */
export function retryDelayMs(attempt: number, baseMs: number, retryAfterMs: number | null = null, random: () => number = Math.random): number {
  if (retryAfterMs !== null) return retryAfterMs;
  const plain = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(plain * (1 + 0.1 * random()));
}

class UnsendableUrl extends Error {
  override name = 'UnsendableUrl';
}

/**
 * Where a URL goes, without normalising its path: the origin as the URL parser reads it, and
 * the path and query exactly as written (the parser would walk `/a/%2E%2E/b` to `/b`).
 */
export function requestTarget(url: string): { origin: string; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsendableUrl(`url: "${url.slice(0, 200)}" is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UnsendableUrl(`url: "${url.slice(0, 200)}" is not http or https`);
  const written = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*([^#]*)/is.exec(url);
  if (!written) throw new UnsendableUrl(`url: "${url.slice(0, 200)}" is not an absolute http(s) URL`);
  const rest = written[1]!;
  const path = rest.startsWith('/') ? rest : `/${rest}`;
  if (/[^\u0021-\u007e]/.test(path)) throw new UnsendableUrl('url: the path holds characters that must be percent-encoded');
  return { origin: parsed.origin, path };
}

/** Reads up to `limit` bytes of a body, then drops the rest (and with it the connection). */
async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break; // leaving the loop destroys the stream: undici closes the socket
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** An attempt that got no answer: `started` is its performance.now(); `unsendable` when trying again cannot help. */
export const failedAttempt = (started: number, error: unknown, unsendable: boolean): Attempt => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: null, latencyMs: Math.round(performance.now() - started), responseStart: null, body: null, error: message.slice(0, 500), retryAfterMs: null, ...(unsendable ? { unsendable } : {}) };
};

/**
 * Sends one request once, its URL exactly as written, and reads at most 64 KB of the answer.
 * Never throws: HTTP and network failures, and URLs that cannot be sent, are in the result.
 */
export async function sendOnce(req: OutboundRequest, options: { timeoutMs?: number; dispatcher?: Dispatcher } = {}): Promise<Attempt> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  let target: { origin: string; path: string };
  try {
    target = requestTarget(req.url);
  } catch (error) {
    return failedAttempt(started, error, true);
  }
  try {
    const res = await (options.dispatcher ?? getGlobalDispatcher()).request({
      origin: target.origin,
      path: target.path,
      method: req.method,
      headers: req.headers,
      body: req.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await readLimited(res.body, ANSWER_LIMIT_BYTES);
    const retryAfter = res.headers['retry-after'];
    const seconds = typeof retryAfter === 'string' && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
    return { status: res.statusCode, latencyMs: Math.round(performance.now() - started), responseStart: text.slice(0, 500), body: text, error: null, retryAfterMs: seconds };
  } catch (error) {
    return failedAttempt(started, error, error instanceof undiciErrors.InvalidArgumentError);
  }
}

export interface SendOptions {
  /** First back-off; the seed's 5 s by default. */
  baseDelayMs?: number;
  /** Give up once the next try would fall past this; the seed's recommended 24 h by default. */
  ttlMs?: number;
  timeoutMs?: number;
  onAttempt?: (attempt: Attempt, number: number) => void;
}

/** Sends with the seeds' retry policy; resolves with the last attempt and how it ended. */
export async function send(req: OutboundRequest, options: SendOptions = {}): Promise<{ outcome: 'delivered' | 'failed' | 'dead'; attempts: number; last: Attempt }> {
  const base = options.baseDelayMs ?? 5000;
  const deadline = Date.now() + (options.ttlMs ?? 86_400_000);
  for (let number = 1; ; number++) {
    const attempt = await sendOnce(req, { timeoutMs: options.timeoutMs });
    options.onAttempt?.(attempt, number);
    const verdict = judge(req, attempt);
    if (verdict === 'delivered') return { outcome: 'delivered', attempts: number, last: attempt };
    if (verdict === 'final') return { outcome: 'failed', attempts: number, last: attempt };
    const wait = retryDelayMs(number, base, attempt.retryAfterMs);
    if (Date.now() + wait > deadline) return { outcome: 'dead', attempts: number, last: attempt };
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
