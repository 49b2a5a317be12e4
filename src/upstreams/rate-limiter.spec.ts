import { inBackgroundLane, RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('spaces requests evenly at the configured rate', async () => {
    const l = new RateLimiter(50);
    const start = Date.now();
    for (let i = 0; i < 11; i++) await l.acquire();
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(400);
  });

  it('pauses everyone until the given time', async () => {
    const l = new RateLimiter(1000);
    const start = Date.now();
    l.pauseUntil(start + 150);
    await Promise.all([l.acquire(), l.acquire()]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(145);
  });
});

describe('RateLimiter lanes', () => {
  it('paces the background lane at its share of the rate', async () => {
    const l = new RateLimiter(100);
    const start = Date.now();
    await inBackgroundLane(0.25, async () => {
      for (let i = 0; i < 6; i++) await l.acquire();
    });
    // 5 gaps of 1 / (100 × 0.25) s = 40 ms each.
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
  });

  it('lets interactive calls pass before background calls that are already waiting', async () => {
    const l = new RateLimiter(50);
    const order: string[] = [];
    const background = inBackgroundLane(0.5, () => Promise.all(Array.from({ length: 5 }, (_, i) => l.acquire().then(() => order.push(`b${i}`)))));
    await new Promise((r) => setTimeout(r, 5));
    const interactive = Promise.all(Array.from({ length: 3 }, (_, i) => l.acquire().then(() => order.push(`i${i}`))));
    await Promise.all([background, interactive]);
    // At most the one background call that had already taken its slot goes before the interactive ones.
    expect(order.slice(0, 4).filter((x) => x.startsWith('i'))).toHaveLength(3);
    expect(order.filter((x) => x.startsWith('b'))).toHaveLength(5);
  });
});
