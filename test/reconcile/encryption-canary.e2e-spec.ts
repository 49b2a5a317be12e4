import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { checkEncryptionKey } from '../../src/database/encryption-canary';
import { freePort } from '../../src/database/embedded-postgres';
import { freshDatabase } from '../harness/database';
import { upstreamEnv, waitFor } from '../support/app';
import { startWorkerProcess, stopProcess } from '../support/worker-process';

/** A replica with another SVC_SENTRY_ENCRYPTION_KEY than the database was set up with refuses to start, and says why. */
describe('reconcile: encryption-key canary', () => {
  let db: { url: string; drop: () => Promise<void> };
  const first = randomBytes(32).toString('hex');
  beforeAll(async () => {
    db = await freshDatabase('canary');
    // The first replica on the database plants the canary with its key.
    expect(await checkEncryptionKey(db.url, first)).toBe('created');
  });
  afterAll(async () => db?.drop());

  const start = async (key: string) =>
    startWorkerProcess({
      ...upstreamEnv('http://127.0.0.1:9'),
      SVC_SENTRY_ROLE: 'all',
      SVC_SENTRY_ENCRYPTION_KEY: key,
      DATABASE_URL: db.url,
      PORT: String(await freePort()),
    });

  it('another key: exit 2 at start, a message naming the setting, no stack trace, no key material', async () => {
    const other = randomBytes(32).toString('hex');
    const child = await start(other);
    const [code] = await once(child, 'exit');
    const out = child.output();
    expect(code).toBe(2);
    expect(out).toMatch(/SVC_SENTRY_ENCRYPTION_KEY does not match the key this database was first used with/);
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toContain(other);
    expect(out).not.toContain(first);
  }, 120_000);

  it('the same key: starts', async () => {
    const port = await freePort();
    const child = await startWorkerProcess({
      ...upstreamEnv('http://127.0.0.1:9'),
      SVC_SENTRY_ROLE: 'all',
      SVC_SENTRY_ENCRYPTION_KEY: first,
      DATABASE_URL: db.url,
      PORT: String(port),
    });
    try {
      await waitFor(async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${child.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok;
      }, 120_000);
      expect(await checkEncryptionKey(db.url, first)).toBe('matches');
    } finally {
      await stopProcess(child);
    }
  }, 180_000);
});
