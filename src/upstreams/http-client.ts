import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { DomainError, ErrorCode } from '../common/domain-error';
import { metrics } from '../metrics/metrics';
import { RateLimiter } from './rate-limiter';

export interface HttpResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the upstream's JSON answer; each adapter reads the fields it needs
  body: any;
}

export interface UpstreamHttpOptions {
  upstream: string;
  token: string;
  timeoutMs: number;
  limiter: RateLimiter;
  /** How many 429 answers one call waits out before giving up (the job is retried later). */
  max429Waits?: number;
  /** Attempts for transient faults (5xx, timeouts, resets) within one call. */
  attempts?: number;
}

class TransientHttpError extends Error {}

/**
 * JSON over fetch for upstream APIs: bearer auth, pacing by the organization's limiter, waits on
 * 429 until `X-Sentry-Rate-Limit-Reset` or `Retry-After`, short retries on transient faults
 * (cockatiel), and metrics. It never puts the token or a response body with secrets into errors.
 */
export class UpstreamHttp {
  private readonly transientRetry;

  constructor(private readonly o: UpstreamHttpOptions) {
    this.transientRetry = retry(
      handleWhen((e) => e instanceof TransientHttpError),
      {
        maxAttempts: (o.attempts ?? 3) - 1,
        backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }),
      },
    );
  }

  async request(method: string, url: string, body?: unknown): Promise<HttpResponse> {
    let waits = 0;
    for (;;) {
      const res = await this.transientRetry
        .execute(() => this.once(method, url, body))
        .catch((e: unknown) => {
          // Retries spent on 5xx, timeouts or network errors: a coded, retryable domain error from here on.
          if (e instanceof TransientHttpError) throw new DomainError(ErrorCode.UpstreamUnavailable, `${this.o.upstream}: ${e.message}`, undefined, true);
          throw e;
        });
      if (res.status !== 429) return res;
      metrics.upstreamThrottled.inc({ upstream: this.o.upstream });
      if (++waits > (this.o.max429Waits ?? 8)) {
        throw new DomainError(
          ErrorCode.UpstreamRateLimited,
          `${this.o.upstream} kept answering 429 (rate limited) for ${method} ${pathOf(url)}`,
          undefined,
          true,
        );
      }
      // observeBudget() paused the organization's limiter until the reset: the next try waits there.
    }
  }

  private async once(method: string, url: string, body?: unknown): Promise<HttpResponse> {
    await this.o.limiter.acquire();
    const end = metrics.upstreamSeconds.startTimer({ upstream: this.o.upstream, method });
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.o.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (e) {
      end();
      const kind = (e as Error)?.name === 'TimeoutError' ? 'timeout' : 'network';
      metrics.upstreamCalls.inc({ upstream: this.o.upstream, method, status: kind });
      throw new TransientHttpError(`${method} ${pathOf(url)}: ${kind} error`);
    }
    const text = await res.text().catch(() => '');
    end();
    metrics.upstreamCalls.inc({ upstream: this.o.upstream, method, status: String(res.status) });
    this.observeBudget(res.headers, res.status);
    if (res.status >= 500) throw new TransientHttpError(`${method} ${pathOf(url)}: HTTP ${res.status}`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the upstream's JSON answer; each adapter reads the fields it needs
    let parsed: any = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { detail: text.slice(0, 200) };
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** When the upstream reports its window spent, pause the whole organization until it resets. */
  private observeBudget(headers: Headers, status: number): void {
    const remaining = headers.get('x-sentry-rate-limit-remaining');
    if (status === 429 || remaining === '0') this.o.limiter.pauseUntil(this.resumeAt(headers, status === 429));
  }

  /** When the window resets (`Retry-After`, else `X-Sentry-Rate-Limit-Reset`); after a 429, with jitter so replicas don't stampede. */
  private resumeAt(headers: Headers, throttled: boolean): number {
    const retryAfter = Number(headers.get('retry-after'));
    if (Number.isFinite(retryAfter) && retryAfter > 0) return Date.now() + retryAfter * 1000;
    const reset = Number(headers.get('x-sentry-rate-limit-reset'));
    const jitter = throttled ? Math.random() * 50 : 0;
    if (Number.isFinite(reset) && reset > 0) return Math.min(reset * 1000, Date.now() + 60_000) + jitter;
    return Date.now() + 1000 + jitter;
  }

  /** Maps a non-2xx answer that is not transient to a coded error (without echoing secrets). */
  static fail(upstream: string, method: string, url: string, res: HttpResponse): never {
    const detail = typeof res.body?.detail === 'string' ? res.body.detail : JSON.stringify(res.body ?? {}).slice(0, 300);
    const msg = `${upstream} answered ${res.status} to ${method} ${pathOf(url)}: ${detail}`;
    if (res.status === 401 || res.status === 403) throw new DomainError(ErrorCode.UpstreamRejected, `${msg} (check the upstream token and its scopes)`);
    throw new DomainError(ErrorCode.UpstreamRejected, msg, { status: res.status });
  }

  /** Every item of a list endpoint, following `Link: <…>; rel="next"; results="true"`. */
  async paginate<T>(url: string, maxPages = 100, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = url;
    for (let page = 0; next && page < maxPages; page++) {
      signal?.throwIfAborted();
      const res = await this.request('GET', next);
      if (res.status !== 200) UpstreamHttp.fail(this.o.upstream, 'GET', next, res);
      out.push(...(res.body as T[]));
      next = nextLink(res.headers.get('link'), next);
    }
    return out;
  }
}

/**
 * The next page from a `Link` header, followed only while `results="true"`. Robust to GlitchTip's header, which is
 * printed in Python set syntax (`{'<…>; rel="previous"; …, <…>; rel="next"; …'}`). When the entry carries an explicit
 * `cursor="…"` and the current URL is known, the next URL is the current one with that cursor (so a base URL the
 * upstream prints differently from ours, e.g. behind a proxy, does not matter).
 */
export function nextLink(link: string | null, current?: string): string | null {
  if (!link) return null;
  const text = link
    .trim()
    .replace(/^\{\s*['"]?/, '')
    .replace(/['"]?\s*\}$/, '');
  for (const m of text.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = m[2];
    if (!/rel="?next"?/.test(params)) continue;
    if (!/results="?true"?/.test(params)) return null;
    const cursor = /cursor="([^"]*)"/.exec(params)?.[1];
    if (cursor && current) {
      try {
        const u = new URL(current);
        u.searchParams.set('cursor', cursor);
        return u.toString();
      } catch {
        /* fall back to the printed URL */
      }
    }
    return m[1];
  }
  return null;
}

const pathOf = (url: string) => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};
