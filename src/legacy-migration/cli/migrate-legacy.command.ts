import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { isDomainError } from '../../common/domain-error';
import { SDK_MODES, SdkMode } from '../core/types';
import { DEFAULT_LIMITS, Limits } from '../io/limits';
import { reportToJson, reportToText } from '../report-json';
import { runBatch, summaryTable } from './batch';
import { migrateTarget } from './target';

interface Opts {
  sdk: SdkMode;
  dryRun?: boolean;
  revert?: boolean;
  json?: boolean;
  batch?: string;
  out?: string;
  maxFileMb: number;
  maxTreeMb: number;
}

/** Exit codes: 0 done (incl. nothing to do), 2 refused (bad input, unknown layout, limits), 1 unexpected failure. */
export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

const megabytes = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of MiB');
  return n;
};

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), isTTY: !!process.stderr.isTTY };

export function registerMigrateLegacy(program: Command, io: Io = defaultIo): void {
  program
    .command('migrate-legacy')
    .description('Patch a PaaS 2.0 app (directory, .tar.gz or .zip) so it reports errors to the SENTRY_DSN the platform injects')
    .argument('[target]', 'app directory (patched in place) or archive (written to --out)')
    .addOption(new Option('--sdk <sdk>', 'raven: BlueKing 2.0→3.0 patch; sentry-sdk: modern sentry_sdk.init').choices([...SDK_MODES]).default('raven'))
    .option('--dry-run', 'show the layout and the diff, write nothing')
    .option('--revert', 'remove exactly what an earlier patch added')
    .option('--json', 'print the report as JSON')
    .option('--batch <dir-of-apps>', 'patch every app (subdirectory or archive) of a folder, with a progress bar and a summary table')
    .option('--out <path>', 'archive targets: where to write the result (default <name>.patched.<ext>)')
    .option('--max-file-mb <n>', 'per-file size limit', megabytes, DEFAULT_LIMITS.maxFileBytes / 1024 / 1024)
    .option('--max-tree-mb <n>', 'per-tree size limit', megabytes, DEFAULT_LIMITS.maxTreeBytes / 1024 / 1024)
    .action((target: string | undefined, opts: Opts, cmd: Command) => {
      if (!target === !opts.batch) cmd.error('error: give either <target> or --batch <dir-of-apps>', { exitCode: EXIT.refused });
      const limits: Limits = { ...DEFAULT_LIMITS, maxFileBytes: opts.maxFileMb * 1024 * 1024, maxTreeBytes: opts.maxTreeMb * 1024 * 1024 };
      const run = { sdk: opts.sdk, revert: opts.revert, dryRun: opts.dryRun, limits };
      process.exitCode = opts.batch ? batch(opts.batch, run, opts, io) : single(target!, { ...run, out: opts.out }, opts, io);
    });
}

function single(target: string, run: Parameters<typeof migrateTarget>[1], opts: Opts, io: Io): number {
  try {
    const { report, output, written } = migrateTarget(target, run);
    if (opts.json) io.out(JSON.stringify({ target, output: output ?? null, written, ...reportToJson(report) }, null, 2) + '\n');
    else {
      io.out(reportToText(report, opts.dryRun ? 'dry-run' : written));
      if (output) io.out(`Patched archive: ${output}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    return fail(e, opts, io, target);
  }
}

function fail(e: unknown, opts: Opts, io: Io, target: string): number {
  const refused = isDomainError(e);
  const message = e instanceof Error ? e.message : String(e);
  if (opts.json) io.out(JSON.stringify({ target, error: { code: refused ? e.code : 'Internal', message } }, null, 2) + '\n');
  else io.err(`svc-sentry migrate-legacy: ${refused ? `refused (${e.code})` : 'failed'}: ${message}\n`);
  return refused ? EXIT.refused : EXIT.failed;
}

function batch(dir: string, run: Parameters<typeof runBatch>[1], opts: Opts, io: Io): number {
  let bar: SingleBar | undefined;
  try {
    const rows = runBatch(dir, run, (done, total, app) => {
      if (opts.json || !io.isTTY) return; // the bar is for people at a terminal; logs get the table only
      if (!bar) {
        bar = new SingleBar({ format: 'migrate-legacy [{bar}] {value}/{total} {app}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
        bar.start(total, 0, { app });
      }
      bar.update(done, { app });
    });
    bar?.stop();
    if (opts.json) io.out(JSON.stringify({ batch: dir, apps: rows }, null, 2) + '\n');
    else io.out(summaryTable(rows, { dryRun: opts.dryRun }) + (opts.dryRun ? 'Dry run: nothing was written.\n' : ''));
    if (rows.some((r) => r.status === 'failed')) return EXIT.failed;
    return rows.some((r) => r.status === 'refused') ? EXIT.refused : EXIT.ok;
  } catch (e) {
    bar?.stop();
    return fail(e, opts, io, dir);
  }
}
