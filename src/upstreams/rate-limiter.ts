/**
 * Client-side request pacing per upstream organization: requests are spaced evenly at `rate` per
 * second (no bursts, so an upstream's fixed one-second window is never overrun), and the whole
 * organization pauses when the upstream says its budget is spent.
 */
export class RateLimiter {
  private nextSlot = 0;

  constructor(private readonly perSecond: number) {}

  async acquire(): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.perSecond;
    if (slot > now) await sleep(slot - now);
  }

  /** Nothing is sent before `until` (epoch ms). */
  pauseUntil(until: number): void {
    this.nextSlot = Math.max(this.nextSlot, until);
  }
}

const limiters = new Map<string, RateLimiter>();

/** One limiter per (base URL, organization): all of svc-sentry's calls to one org share its budget. */
export function limiterFor(key: string, perSecond: number): RateLimiter {
  let l = limiters.get(key);
  if (!l) limiters.set(key, (l = new RateLimiter(perSecond)));
  return l;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
