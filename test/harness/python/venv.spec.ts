import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVenv } from './venv';

describe('ensureVenv', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'venv-cache-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('reports what is missing when the interpreter does not exist (outside CI)', async () => {
    const saved = process.env.CI;
    process.env.CI = 'false';
    try {
      const v = await ensureVenv(['six'], { cacheDir, python: 'python3-does-not-exist' });
      expect(v).toEqual({ available: false, reason: expect.stringContaining('python3-does-not-exist not found on PATH') });
    } finally {
      process.env.CI = saved;
    }
  });

  it('fails under CI=true when the interpreter is missing', async () => {
    const saved = process.env.CI;
    process.env.CI = 'true';
    try {
      await expect(ensureVenv(['six'], { cacheDir, python: 'python3-does-not-exist' })).rejects.toThrow(/required under CI=true/);
    } finally {
      process.env.CI = saved;
    }
  });

  it('creates a venv with no requirements, then reuses it', async () => {
    const first = await ensureVenv([], { cacheDir });
    if (!first.available) {
      console.warn(`skipped: ${first.reason}`);
      return;
    }
    expect(first.reused).toBe(false);
    const t0 = Date.now();
    const second = await ensureVenv([], { cacheDir });
    expect(second).toMatchObject({ available: true, reused: true, dir: first.dir });
    expect(Date.now() - t0).toBeLessThan(2000);
  }, 180_000);
});
