/**
 * bench/legacy: 500 generated app trees patched in batch (the CLI's --batch path: read with limits, detect, plan,
 * write atomically) versus two baselines on the same trees:
 * - read: reading every file of every tree once — the least any patcher must do (it has to look at the files);
 * - copy: a plain recursive copy (every file read and written; the patcher writes only ~3 files per app).
 * Prints the times and both ratios; the last line is JSON with each side's work (files read, bytes read, files
 * written), counted in one extra untimed pass of each side.
 *   npm run bench:legacy    (or: npx tsc -p tsconfig.build.json && node dist/bench/legacy/run.js)
 * Env: LEGACY_BENCH_APPS (default 500), LEGACY_BENCH_ROUNDS (default 3; the median is reported).
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatch } from '../../src/legacy-migration/cli/batch';
import { generateApps } from './generate';

const APPS = Number(process.env.LEGACY_BENCH_APPS ?? 500);
const ROUNDS = Number(process.env.LEGACY_BENCH_ROUNDS ?? 3);
const TARGET = 3;

/**
 * The baseline: a plain recursive copy with the same fs primitives the patcher uses (readdir, lstat, read, write
 * with mode). fs.cpSync is not used: it also copies timestamps and is several times slower, which would flatter the ratio.
 */
function plainCopy(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) plainCopy(src, dst);
    else writeFileSync(dst, readFileSync(src), { mode: lstatSync(src).mode & 0o7777 });
  }
}

/** The read baseline: every file of every tree read once (readdir + read), nothing written. */
function readEvery(from: string): number {
  let bytes = 0;
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    if (e.isDirectory()) bytes += readEvery(src);
    else bytes += readFileSync(src).length;
  }
  return bytes;
}

interface Work {
  files_read: number;
  bytes_read: number;
  files_written: number;
  bytes_written: number;
}

/** Runs fn once with node:fs's readFileSync/writeFileSync counted (the patcher and the baselines use these). */
function counted(fn: () => void): Work {
  const fs = require('node:fs') as typeof import('node:fs');
  const [read, write] = [fs.readFileSync, fs.writeFileSync];
  const w: Work = { files_read: 0, bytes_read: 0, files_written: 0, bytes_written: 0 };
  (fs as any).readFileSync = (...a: unknown[]) => {
    const out = (read as any)(...a);
    w.files_read++;
    w.bytes_read += out.length;
    return out;
  };
  (fs as any).writeFileSync = (...a: unknown[]) => {
    w.files_written++;
    w.bytes_written += typeof a[1] === 'string' ? Buffer.byteLength(a[1]) : ((a[1] as Buffer)?.length ?? 0);
    return (write as any)(...a);
  };
  try {
    fn();
  } finally {
    (fs as any).readFileSync = read;
    (fs as any).writeFileSync = write;
  }
  return w;
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main() {
  const work = mkdtempSync(join(tmpdir(), 'legacy-bench-'));
  try {
    const source = join(work, 'source');
    const bytes = generateApps(source, APPS);
    console.log(`generated ${APPS} apps (${(bytes / 1024 / 1024).toFixed(1)} MiB) in ${source}`);
    plainCopy(source, join(work, 'warmup')); // warm the page cache for both sides
    rmSync(join(work, 'warmup'), { recursive: true, force: true });

    // Work counts: one untimed, instrumented pass of each side.
    const countDir = join(work, 'count');
    const copyWork = counted(() => plainCopy(source, countDir));
    const readWork = counted(() => readEvery(source));
    const patchWork = counted(() => runBatch(countDir, { sdk: 'raven' }));
    rmSync(countDir, { recursive: true, force: true });

    const copyTimes: number[] = [];
    const readTimes: number[] = [];
    const patchTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const copyDir = join(work, `copy-${round}`);
      let t0 = process.hrtime.bigint();
      plainCopy(source, copyDir);
      copyTimes.push(seconds(t0));

      t0 = process.hrtime.bigint();
      readEvery(source);
      readTimes.push(seconds(t0));

      const patchDir = join(work, `patch-${round}`);
      plainCopy(source, patchDir); // untimed: the batch patches in place
      t0 = process.hrtime.bigint();
      const rows = runBatch(patchDir, { sdk: 'raven' });
      patchTimes.push(seconds(t0));
      const patched = rows.filter((r) => r.status === 'patched').length;
      if (patched !== APPS) throw new Error(`only ${patched}/${APPS} apps patched: ${JSON.stringify(rows.find((r) => r.status !== 'patched'))}`);
      console.log(
        `round ${round + 1}: read ${readTimes[round].toFixed(3)} s, copy ${copyTimes[round].toFixed(3)} s, patch ${patchTimes[round].toFixed(3)} s (${patched} apps patched)`,
      );
      rmSync(copyDir, { recursive: true, force: true });
      rmSync(patchDir, { recursive: true, force: true });
    }
    const copy_s = median(copyTimes);
    const patch_s = median(patchTimes);
    const read_s = median(readTimes);
    const ratio = patch_s / copy_s;
    const ratioRead = patch_s / read_s;
    const w = (x: Work) => `${x.files_read} files read (${(x.bytes_read / 1048576).toFixed(1)} MiB), ${x.files_written} written`;
    console.log(`read every file of ${APPS} trees: ${read_s.toFixed(3)} s (median of ${ROUNDS}); ${w(readWork)}`);
    console.log(`copy ${APPS} trees: ${copy_s.toFixed(3)} s (median of ${ROUNDS}); ${w(copyWork)}`);
    console.log(`patch ${APPS} trees in batch: ${patch_s.toFixed(3)} s (median of ${ROUNDS}); ${w(patchWork)}`);
    console.log(`ratio patch/read: ${ratioRead.toFixed(2)} (no target); ratio patch/copy: ${ratio.toFixed(2)} (target <= ${TARGET})`);
    console.log(
      JSON.stringify({
        bench: 'legacy',
        apps: APPS,
        patch_s: +patch_s.toFixed(4),
        read_s: +read_s.toFixed(4),
        copy_s: +copy_s.toFixed(4),
        ratio_patch_read: +ratioRead.toFixed(3),
        ratio: +ratio.toFixed(3),
        target: TARGET,
        work: { patch: patchWork, read: readWork, copy: copyWork },
        load_average_1m: +loadavg()[0].toFixed(2),
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
