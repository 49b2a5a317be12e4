#!/usr/bin/env node
/**
 * The `svc-sentry` command line (package bin). A thin dispatcher: each subcommand registers itself from its feature
 * folder. From a checkout: `npm run cli -- <subcommand> …`.
 */
import { Command } from 'commander';
import { registerMigrateLegacy } from './legacy-migration/cli/migrate-legacy.command';

export function buildCli(): Command {
  const program = new Command('svc-sentry').description('svc-sentry: the Sentry add-on of the PaaS').showHelpAfterError();
  registerMigrateLegacy(program);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((e) => {
      process.stderr.write(`svc-sentry: ${e?.message ?? e}\n`);
      process.exitCode = 1;
    });
}
