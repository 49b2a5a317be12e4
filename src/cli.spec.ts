import { buildCli } from './cli';

describe('svc-sentry CLI', () => {
  it('dispatches to the registered subcommands', () => {
    const program = buildCli();
    expect(program.name()).toBe('svc-sentry');
    expect(program.commands.map((c) => c.name())).toEqual(['migrate-legacy']);
    const migrate = program.commands[0];
    expect(migrate.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--sdk', '--dry-run', '--revert', '--json', '--batch', '--out']));
  });
});

describe('svc-sentry CLI process', () => {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const { join } = require('node:path') as typeof import('node:path');
  const { EventEmitter } = require('node:events') as typeof import('node:events');
  const root = join(__dirname, '..');

  it('a reader that goes away (| head) ends the run quietly with status 0', () => {
    const { exitQuietlyOnEpipe } = require('./cli') as typeof import('./cli');
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    exitQuietlyOnEpipe(stream);
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exit).toHaveBeenCalledWith(0);
    exit.mockRestore();
  });

  it('`svc-sentry --help | head -1` prints the first line and nothing on stderr; the bin runs from dist/ when it is fresh', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" bin/svc-sentry.js migrate-legacy --help | head -1`], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^Usage: svc-sentry migrate-legacy/);
    // npm test builds first, so dist/ is fresh and nothing is rebuilt; after an edit the one line says why it builds.
    expect(r.stderr.replace(/^svc-sentry: building dist\/ \(missing or older than src\/\)…\n/, '')).toBe('');
  });

  it('a batch whose table outgrows the pipe, read by `head -1`: exits 0 with nothing on stderr (EPIPE is quiet)', () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = require('node:fs') as typeof import('node:fs');
    const { tmpdir } = require('node:os') as typeof import('node:os');
    const apps = mkdtempSync(join(tmpdir(), 'svc-sentry-epipe-'));
    try {
      // 1500 apps of an unknown layout: a table of ~150 KB, more than a pipe holds, so the writer meets the closed pipe.
      for (let i = 0; i < 1500; i++) {
        mkdirSync(join(apps, `app-${i}`));
        writeFileSync(join(apps, `app-${i}`, 'README'), 'x\n');
      }
      const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" bin/svc-sentry.js migrate-legacy --batch "${apps}" --dry-run | head -1`], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(r.stdout).toMatch(/^app\s+layout\s+status\s+edits\s+conflicts\s+message\n$/);
      expect(r.stderr.replace(/^svc-sentry: building dist\/ \(missing or older than src\/\)…\n/, '')).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(apps, { recursive: true, force: true });
    }
  });
});
