import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { stopProcess } from '../support/worker-process';
import { waitFor } from '../support/app';

/** `npm start` with no configuration: the built main.js on an embedded PostgreSQL says what is not configured. */
describe('npm start with no configuration', () => {
  it('comes up on embedded PostgreSQL; /healthz 200; /readyz names the unconfigured upstream', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'svc-sentry-start-'));
    // Like ./.data: a directory other users can traverse (as root, PostgreSQL runs as the postgres user).
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', SVC_SENTRY_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const base = `http://127.0.0.1:${port}`;
      const health = await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}`);
          return (await fetch(`${base}/healthz`).catch(() => null))?.status === 200;
        },
        90_000,
        300,
      ).catch((e) => {
        throw new Error(`${e}\n${out}`);
      });
      expect(health).toBe(true);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as any;
      expect(body.details.database.status).toBe('up');
      expect(body.details.jobQueue.status).toBe('up');
      expect(body.details.upstream).toEqual({ status: 'down', message: expect.stringContaining('no upstream configured') });
      expect((await fetch(`${base}/api/v1/apps/a/modules/b/monitoring`)).status).toBe(401);
      // The start-up summary names what is not configured and the settings for it.
      expect(out).toMatch(/not configured: upstream \(SVC_SENTRY_UPSTREAM_URL, SVC_SENTRY_UPSTREAM_TOKEN, SVC_SENTRY_UPSTREAM_ORG/);
      expect(out).toMatch(/SVC_SENTRY_ENCRYPTION_KEY is not set: generated one/);
      expect(out).toMatch(/REST API tokens \(SVC_SENTRY_API_TOKENS; the REST API rejects every request\)/);
    } finally {
      await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
