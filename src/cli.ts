#!/usr/bin/env node
/**
 * The `svc-sentry` command line (package bin: `bin/svc-sentry.js` runs this from dist/, building only when
 * dist/ is missing or stale). A thin dispatcher: each subcommand registers itself from its feature folder.
 * From a checkout: `npx svc-sentry <subcommand> …` or `npm run cli -- <subcommand> …`.
 */
import { Command } from 'commander';
import { registerMigrateLegacy } from './legacy-migration/cli/migrate-legacy.command';

export function buildCli(): Command {
  const program = new Command('svc-sentry').description('svc-sentry: the Sentry add-on of the PaaS').showHelpAfterError();
  registerMigrateLegacy(program);
  return program;
}

/** A reader that went away (`svc-sentry … | head`) ends the run quietly, like any Unix tool. */
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}

export function main(argv = process.argv): void {
  exitQuietlyOnEpipe(process.stdout);
  exitQuietlyOnEpipe(process.stderr);
  buildCli()
    .parseAsync(argv)
    .catch((e) => {
      process.stderr.write(`svc-sentry: ${e?.message ?? e}\n`);
      process.exitCode = 1;
    });
}

if (require.main === module) main();
