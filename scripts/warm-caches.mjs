#!/usr/bin/env node
/**
 * Fills the test harness' caches in parallel before `npm test` (CI runs it; locally it is optional):
 * the Kubernetes binaries and helm (Go builds: CPU-bound) beside the container image (mostly downloads: Debian packages,
 * the Node binary, npm ci inside the build). The suites build the same things on demand, one after another; doing it
 * here overlaps the downloads with the compiles and saves several minutes of a cold run. Nothing here is required:
 * a part that fails is reported and left to its suite, which then fails or skips with the reason.
 * Needs dist/ (npm run build).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ensureKubeBinaries, goAvailable } = require(join(root, 'dist/test/harness/kube/binaries.js'));
const { ensureHelm } = require(join(root, 'dist/test/harness/helm/index.js'));

const started = Date.now();
const secs = () => `${Math.round((Date.now() - started) / 1000)} s`;

async function timed(name, fn) {
  try {
    await fn();
    console.log(`warm-caches: ${name} ready after ${secs()}`);
  } catch (e) {
    console.log(`warm-caches: ${name} not prepared (${secs()}): ${String(e instanceof Error ? e.message : e).split('\n')[0]}`);
  }
}

/** The image build runs as its own process: it blocks its event loop while buildah works. */
function buildImage() {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(root, 'scripts/image/build-image.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`npm run image exited ${code}`))));
  });
}

const go = goAvailable();
if (!go) console.log('warm-caches: no Go on PATH: the Kubernetes and helm suites will say so');
await Promise.all([go && timed('kube binaries', () => ensureKubeBinaries()), go && timed('helm', () => ensureHelm()), timed('container image', buildImage)]);
console.log(`warm-caches: done in ${secs()}`);
