import { RateLimiter } from './rate-limiter';

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
