import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVenv } from './venv';
import { requireTool } from '../prerequisites';

// Skipped with the reason outside CI, a failure under CI=true (see ../prerequisites.ts).
const python = requireTool('python3', 'apt-get install -y python3 python3-venv', { args: ['-c', 'import venv, ensurepip'] });

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

  python.it(
    'creates a venv (in the repo .cache, so later runs reuse it), then reuses it quickly',
    async () => {
      const first = await ensureVenv([]);
      if (!first.available) throw new Error(first.reason); // python3 with venv was probed when the suite loaded
      expect(first.dir).toContain(join('.cache', 'python-venvs'));
      expect(existsSync(join(first.dir, '.svc-sentry-ready'))).toBe(true);
      expect(spawnSync(first.python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).stdout.trim()).toBe(first.dir);
      const t0 = Date.now();
      const second = await ensureVenv([]);
      expect(second).toMatchObject({ available: true, reused: true, dir: first.dir });
      expect(Date.now() - t0).toBeLessThan(2000);
    },
    180_000,
  );
});
