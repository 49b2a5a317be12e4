import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { toolCommand } from '../prerequisites';

/**
 * The Kubernetes binaries the test cluster runs, built from the Go module proxy (see build-binaries.sh)
 * and cached under the git-ignored `.cache/kube/<version>/` of the repository.
 */
export const KUBE_VERSION = process.env.SVC_SENTRY_TEST_KUBE_VERSION ?? '1.34.1';
export const KINE_VERSION = process.env.SVC_SENTRY_TEST_KINE_VERSION ?? 'v0.16.4';
export const KUBE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kine'] as const;
/** Built only on request (e.g. by benchmarks): ensureKubeBinaries(version, log, ['kubectl']). */
export type OptionalBinary = 'kubectl';
export type KubeBinary = (typeof KUBE_BINARIES)[number] | OptionalBinary;

/** The repository root: the nearest folder up from here holding package.json (works from test/ and dist/test/). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'harness', 'kube', 'build-binaries.sh'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the svc-sentry repository root above ${__dirname}`);
    dir = up;
  }
}

/** `<repo>/.cache/kube/<version>/`, or `$SVC_SENTRY_TEST_KUBE_CACHE/<version>/` when that is set. */
export function binDir(version = KUBE_VERSION): string {
  return join(process.env.SVC_SENTRY_TEST_KUBE_CACHE || join(repoRoot(), '.cache', 'kube'), version);
}

export function binPath(name: KubeBinary, version = KUBE_VERSION): string {
  return join(binDir(version), name);
}

const haveAll = (version: string, extra: OptionalBinary[] = []) => [...KUBE_BINARIES, ...extra].every((b) => existsSync(binPath(b, version)));

export function goAvailable(): boolean {
  const r = spawnSync(toolCommand('go'), ['version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * Whether the harness can run here, and if not, what is missing and how to get it. It does not throw: the
 * suites go through `describeWithKube` (skipped with the reason outside CI, failing under CI=true), and
 * `ensureKubeBinaries` throws the reason.
 */
export function kubeHarnessStatus(version = KUBE_VERSION): { ready: true; cached: boolean } | { ready: false; reason: string } {
  if (haveAll(version)) return { ready: true, cached: true };
  if (goAvailable()) return { ready: true, cached: false };
  const reason =
    `Kubernetes test cluster unavailable: the binaries are not cached in ${binDir(version)} and no Go toolchain is on PATH. ` +
    `Install Go >= 1.25.1 (https://go.dev/dl/) with access to the Go module proxy; the harness then builds kube-apiserver, ` +
    `kube-controller-manager ${version} and kine ${KINE_VERSION} itself (first run ~20 min on 2 cores, then cached).`;
  return { ready: false, reason };
}

/**
 * Builds the missing binaries (once per version; concurrent callers — e.g. parallel Jest workers — wait for the
 * one builder through a lock directory). Resolves when all are present.
 */
export async function ensureKubeBinaries(version = KUBE_VERSION, log: (s: string) => void = () => undefined, extra: OptionalBinary[] = []): Promise<void> {
  if (haveAll(version, extra)) return;
  const status = kubeHarnessStatus(version);
  if (!status.ready) throw new Error(status.reason);
  const out = binDir(version);
  await buildOnce(
    out,
    () => haveAll(version, extra),
    async () => {
      log(`building Kubernetes ${version} and kine ${KINE_VERSION} into ${out} (slow the first time)`);
      const started = Date.now();
      await runBuildScript(resolve(repoRoot(), 'test', 'harness', 'kube', 'build-binaries.sh'), [version, KINE_VERSION, out], {
        KUBE_CMDS: ['kube-apiserver', 'kube-controller-manager', ...extra].join(' '),
      });
      log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
    },
  );
}

/**
 * Runs build() at most once across processes (e.g. parallel Jest workers) for the output dir `out`: the first caller
 * takes a lock directory `out/.build.lock`, the others wait until done() is true or the lock is released. A lock older
 * than an hour is stale. Shared by the kube and helm harnesses.
 */
export async function buildOnce(out: string, done: () => boolean, build: () => Promise<void>): Promise<void> {
  if (done()) return;
  mkdirSync(out, { recursive: true });
  const lock = join(out, '.build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another process is building; a lock older than an hour is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 3600_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* lock vanished meanwhile */
      }
      if (done()) return;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (done()) return;
    await build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs a bash build script; rejects with the tail of its output when it fails. */
export function runBuildScript(script: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise<void>((ok, fail) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let tail = '';
    const keep = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${script} failed (exit ${code}):\n${tail}`))));
  });
}
