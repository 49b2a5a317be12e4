/**
 * Test cluster harness: `startKubeCluster()` gives a real kube-apiserver (+ kube-controller-manager, kine) on
 * 127.0.0.1 with a kubeconfig; `describeWithKube` runs a suite only where the harness can run (skips with the
 * reason otherwise; under CI=true a missing Go toolchain fails instead).
 */
import { kubeHarnessStatus } from './binaries';

export { KUBE_VERSION, KINE_VERSION, ensureKubeBinaries, kubeHarnessStatus, binDir } from './binaries';
export { startKubeCluster, apiRequest } from './cluster';
export type { KubeCluster, StartOptions } from './cluster';
export { createCa, issueServingCert } from './pki';
export { waitFor, freePort } from './process';

export function describeWithKube(name: string, fn: () => void): void {
  if (status.ready) {
    describe(name, fn);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`[skipped] ${name}: ${status.reason}`);
    describe.skip(`${name} (skipped: ${status.reason})`, fn);
  }
}

/** Budget for beforeAll: long when the first run has to build the binaries, else two minutes. */
const status = kubeHarnessStatus();
export const KUBE_START_TIMEOUT_MS = status.ready && !status.cached ? 45 * 60_000 : 120_000;
