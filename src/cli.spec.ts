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
});
