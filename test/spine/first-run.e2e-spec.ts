import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const asRoot = userInfo().uid === 0;
if (!asRoot) console.warn('first-run: skipped: the data-directory message concerns starting as root (PostgreSQL then runs as "postgres")');

/** First run as root with SVC_SENTRY_DATA_DIR=$(mktemp -d): a clear message that names the directory and the chmod, no stack trace. */
describe('first run', () => {
  (asRoot ? it : it.skip)('a data directory the postgres user cannot traverse: one clear message (chmod 755 <dir>), no stack trace, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-first-run-')); // 0700, like mktemp -d
    try {
      const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, SVC_SENTRY_DATA_DIR: dir, PORT: '18931', SVC_SENTRY_LOG_LEVEL: 'error' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      const out = `${r.stdout}${r.stderr}`;
      expect(r.status).toBe(1);
      expect(out).toContain(`chmod 755 ${dir}`);
      expect(out).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
