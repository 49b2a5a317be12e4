import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The lane of the upstream calls made inside `inBackgroundLane()`: resync's bulk pass and the repairs it enqueued.
 * `share` is the part of each upstream's rate those calls may use at most.
 */
interface BackgroundLane {
  share: number;
  /** Calls that go ahead of the lane's queue (a sequential walk whose next step waits for this one). */
  first?: boolean;
}

const lanes = new AsyncLocalStorage<BackgroundLane>();

/**
 * Runs fn with every upstream call it makes (however deep, across awaits) in the background lane: paced at `share` of
 * the organization's rate, and only when no interactive call is waiting. Everything else is interactive.
 */
export function inBackgroundLane<T>(share: number, fn: () => Promise<T>, opts: { first?: boolean } = {}): Promise<T> {
  return lanes.run({ share: Math.min(1, Math.max(0.001, share)), first: opts.first }, fn);
}

/** Whether the caller runs in the background lane (for logs and metrics). */
export const inBackground = (): boolean => lanes.getStore() !== undefined;

/**
 * Client-side request pacing per upstream organization: requests are spaced evenly at `rate` per
 * second (no bursts, so an upstream's fixed one-second window is never overrun), and the whole
 * organization pauses when the upstream says its budget is spent.
 *
 * Two lanes share the organization's slots. Interactive calls (user toggles, their reconciles) reserve the next free
 * slot at once. Background calls (resync) wait in a queue: the head takes a slot only when it is free now (no
 * interactive call reserved it) and its own lane's spacing (`1 / (rate × share)`) has passed. So interactive calls
 * never wait for more than one background call, and resync never uses more than its share.
 */
export class RateLimiter {
  private nextSlot = 0;
  private nextBackground = 0;
  private readonly background: Array<{ share: number; resolve: () => void }> = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly perSecond: number) {}

  private get interval(): number {
    return 1000 / this.perSecond;
  }

  async acquire(): Promise<void> {
    const lane = lanes.getStore();
    if (lane) return new Promise<void>((resolve) => this.enqueueBackground(lane, resolve));
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.interval;
    if (slot > now) await sleep(slot - now);
  }

  /** Nothing is sent before `until` (epoch ms). */
  pauseUntil(until: number): void {
    this.nextSlot = Math.max(this.nextSlot, until);
  }

  /** Background calls waiting for a slot (for tests and metrics). */
  get waitingInBackground(): number {
    return this.background.length;
  }

  private enqueueBackground(lane: BackgroundLane, resolve: () => void): void {
    if (lane.first) this.background.unshift({ share: lane.share, resolve });
    else this.background.push({ share: lane.share, resolve });
    if (this.background.length === 1) this.pump();
  }

  /** Lets the head of the background queue go when the slot is free and its spacing has passed; else waits for that. */
  private pump(): void {
    this.timer = undefined;
    const head = this.background[0];
    if (!head) return;
    const now = Date.now();
    const at = Math.max(this.nextSlot, this.nextBackground);
    if (at > now) {
      // Interactive calls reserved the slots until `at` (or the lane's spacing has not passed): look again then.
      this.timer = setTimeout(() => this.pump(), Math.max(1, at - now));
      return;
    }
    this.background.shift();
    this.nextSlot = now + this.interval;
    this.nextBackground = now + this.interval / head.share;
    head.resolve();
    if (this.background.length) this.timer = setTimeout(() => this.pump(), Math.max(1, this.nextBackground - now));
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
