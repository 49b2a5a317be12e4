/**
 * helm for the chart suites: built from the Go module proxy (build-helm.sh) into the git-ignored `.cache/helm/<version>/`,
 * once, through the kube harness's build lock. `helm()` runs it with an isolated HELM_* home under the given dir.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildOnce, goAvailable, KUBE_VERSION, repoRoot, runBuildScript } from '../kube/binaries';
import { requirePrerequisite } from '../prerequisites';

export const HELM_VERSION = process.env.SVC_SENTRY_TEST_HELM_VERSION ?? 'v3.22.0';

export const helmDir = (version = HELM_VERSION) => join(repoRoot(), '.cache', 'helm', version);
export const helmPath = (version = HELM_VERSION) => join(helmDir(version), 'helm');
export const chartDir = () => join(repoRoot(), 'charts', 'svc-sentry');

/** Whether helm can be had here (cached, or buildable with Go); else why not. */
export function helmStatus(version = HELM_VERSION): { ready: true; cached: boolean } | { ready: false; reason: string } {
  if (existsSync(helmPath(version))) return { ready: true, cached: true };
  if (goAvailable()) return { ready: true, cached: false };
  const reason =
    `helm ${version} unavailable: not cached in ${helmDir(version)} and no Go toolchain is on PATH. Install Go >= 1.26 ` +
    `with access to the Go module proxy; the harness then builds helm itself (a few minutes on 2 cores, then cached).`;
  return { ready: false, reason };
}

export async function ensureHelm(version = HELM_VERSION, log: (s: string) => void = () => undefined): Promise<string> {
  const bin = helmPath(version);
  const status = helmStatus(version);
  if (!status.ready) throw new Error(status.reason);
  await buildOnce(
    helmDir(version),
    () => existsSync(bin),
    async () => {
      log(`building helm ${version} into ${helmDir(version)}`);
      const started = Date.now();
      await runBuildScript(resolve(repoRoot(), 'test', 'harness', 'helm', 'build-helm.sh'), [version, KUBE_VERSION, helmDir(version)]);
      log(`helm built in ${Math.round((Date.now() - started) / 1000)} s`);
    },
  );
  return bin;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with its config, cache and data under `home` (never the user's), optionally against a kubeconfig. */
export function helm(args: string[], opts: { home: string; kubeconfig?: string; timeoutMs?: number }): Promise<HelmResult> {
  mkdirSync(opts.home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: opts.home,
    HELM_CONFIG_HOME: join(opts.home, 'config'),
    HELM_CACHE_HOME: join(opts.home, 'cache'),
    HELM_DATA_HOME: join(opts.home, 'data'),
    KUBECONFIG: opts.kubeconfig ?? join(opts.home, 'no-kubeconfig'),
  };
  return new Promise((ok, fail) => {
    const child = spawn(helmPath(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * describe() where helm can run: the harness's one prerequisite rule (test/harness/prerequisites.ts) — skipped visibly
 * with the reason outside CI, failing under CI=true.
 */
export function describeWithHelm(name: string, fn: () => void): void {
  const status = helmStatus();
  requirePrerequisite(`helm ${HELM_VERSION}`, status.ready ? undefined : status.reason).describe(name, fn);
}

/** Budget for a beforeAll that may have to build helm first. */
const initial = helmStatus();
export const HELM_BUILD_TIMEOUT_MS = initial.ready && !initial.cached ? 20 * 60_000 : 60_000;
