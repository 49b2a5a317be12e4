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
