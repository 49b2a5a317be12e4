/**
 * bench/legacy: 500 generated app trees patched in batch (the CLI's --batch path: read with limits, detect, plan,
 * write atomically) versus a plain recursive copy of the same trees. Prints both times; the last line is JSON.
 *   npm run bench:legacy    (or: npx tsc -p tsconfig.build.json && node dist/bench/legacy/run.js)
 * Env: LEGACY_BENCH_APPS (default 500), LEGACY_BENCH_ROUNDS (default 3; the median is reported).
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

    const copyTimes: number[] = [];
    const patchTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const copyDir = join(work, `copy-${round}`);
      let t0 = process.hrtime.bigint();
      plainCopy(source, copyDir);
      copyTimes.push(seconds(t0));

      const patchDir = join(work, `patch-${round}`);
      plainCopy(source, patchDir); // untimed: the batch patches in place
      t0 = process.hrtime.bigint();
      const rows = runBatch(patchDir, { sdk: 'raven' });
      patchTimes.push(seconds(t0));
      const patched = rows.filter((r) => r.status === 'patched').length;
      if (patched !== APPS) throw new Error(`only ${patched}/${APPS} apps patched: ${JSON.stringify(rows.find((r) => r.status !== 'patched'))}`);
      console.log(`round ${round + 1}: copy ${copyTimes[round].toFixed(3)} s, patch ${patchTimes[round].toFixed(3)} s (${patched} apps patched)`);
      rmSync(copyDir, { recursive: true, force: true });
      rmSync(patchDir, { recursive: true, force: true });
    }
    const copy_s = median(copyTimes);
    const patch_s = median(patchTimes);
    const ratio = patch_s / copy_s;
    console.log(`copy ${APPS} trees: ${copy_s.toFixed(3)} s (median of ${ROUNDS})`);
    console.log(`patch ${APPS} trees in batch: ${patch_s.toFixed(3)} s (median of ${ROUNDS})`);
    console.log(`ratio patch/copy: ${ratio.toFixed(2)} (target <= ${TARGET})`);
    console.log(JSON.stringify({ bench: 'legacy', patch_s: +patch_s.toFixed(4), copy_s: +copy_s.toFixed(4), ratio: +ratio.toFixed(3), target: TARGET }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
