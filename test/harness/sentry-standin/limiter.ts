/**
 * Sentry-like rate limiting for management calls: a fixed one-second window per org
 * (all tokens of one org share the bucket) plus a reported concurrency limit.
 * Headers on every answer: X-Sentry-Rate-Limit-{Limit,Remaining,Reset,ConcurrentLimit,ConcurrentRemaining}.
 */

/** Reported as Limit when no requestsPerSecond is configured (nothing is enforced then). */
export const UNLIMITED_REPORTED_LIMIT = 1000;
export const CONCURRENT_LIMIT = 25;

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  headers: Record<string, string>;
}

export function tooManyBody(limit: number): { detail: string } {
  return { detail: `You are attempting to use this endpoint too frequently. Limit is ${limit} requests in 1 seconds` };
}

export class FixedWindowLimiter {
  private readonly windows = new Map<string, { second: number; count: number }>();
  private readonly inflight = new Map<string, number>();

  enter(bucket: string): void {
    this.inflight.set(bucket, (this.inflight.get(bucket) ?? 0) + 1);
  }

  leave(bucket: string): void {
    const n = (this.inflight.get(bucket) ?? 1) - 1;
    if (n <= 0) this.inflight.delete(bucket);
    else this.inflight.set(bucket, n);
  }

  /** Count one call in the bucket's current window; `rps` undefined = unlimited. */
  hit(bucket: string, rps: number | undefined): LimitDecision {
    const second = Math.floor(Date.now() / 1000);
    let w = this.windows.get(bucket);
    if (!w || w.second !== second) {
      w = { second, count: 0 };
      this.windows.set(bucket, w);
    }
    w.count += 1;
    const limit = rps !== undefined && rps > 0 ? Math.floor(rps) : UNLIMITED_REPORTED_LIMIT;
    const enforced = rps !== undefined && rps > 0;
    const allowed = !enforced || w.count <= limit;
    return { allowed, limit, headers: this.headers(bucket, limit, Math.max(0, limit - w.count), second + 1) };
  }

  /** Headers of a random (injected) 429: nothing remaining until the next second. */
  exhausted(bucket: string, rps: number | undefined): Record<string, string> {
    const limit = rps !== undefined && rps > 0 ? Math.floor(rps) : UNLIMITED_REPORTED_LIMIT;
    return this.headers(bucket, limit, 0, Math.floor(Date.now() / 1000) + 1);
  }

  private headers(bucket: string, limit: number, remaining: number, reset: number): Record<string, string> {
    return {
      'X-Sentry-Rate-Limit-Limit': String(limit),
      'X-Sentry-Rate-Limit-Remaining': String(remaining),
      'X-Sentry-Rate-Limit-Reset': String(reset),
      'X-Sentry-Rate-Limit-ConcurrentLimit': String(CONCURRENT_LIMIT),
      'X-Sentry-Rate-Limit-ConcurrentRemaining': String(Math.max(0, CONCURRENT_LIMIT - (this.inflight.get(bucket) ?? 0))),
    };
  }
}
