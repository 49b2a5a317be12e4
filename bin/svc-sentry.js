#!/usr/bin/env node
'use strict';
/**
 * `npx svc-sentry …` / `npm run cli -- …`: runs the CLI from the built output (dist/), building first only
 * when dist/ is missing or older than a source file (a plain checkout, or after an edit).
 */
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const built = join(root, 'dist', 'src', 'cli.js');
const src = join(root, 'src');

function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

if (existsSync(src) && (!existsSync(built) || newest(src) > statSync(built).mtimeMs)) {
  process.stderr.write('svc-sentry: building dist/ (missing or older than src/)…\n');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

require(built).main();
