/**
 * Test cluster harness: `startKubeCluster()` gives a real kube-apiserver (+ kube-controller-manager, kine) on
 * 127.0.0.1 with a kubeconfig; `describeWithKube` runs a suite only where the harness can run (skips with the
 * reason otherwise; under CI=true a missing Go toolchain fails instead).
 */
import { kubeHarnessStatus } from './binaries';
import { requirePrerequisite } from '../prerequisites';

export { KUBE_VERSION, KINE_VERSION, ensureKubeBinaries, kubeHarnessStatus, binDir } from './binaries';
export { startKubeCluster, apiRequest } from './cluster';
export type { KubeCluster, StartOptions } from './cluster';
export { createCa, issueServingCert } from './pki';
export { waitFor, freePort } from './process';

export function describeWithKube(name: string, fn: () => void): void {
  requirePrerequisite('Kubernetes test cluster', status.ready ? undefined : status.reason).describe(name, fn);
}

/** Budget for beforeAll: long when the first run has to build the binaries, else two minutes. */
const status = kubeHarnessStatus();
export const KUBE_START_TIMEOUT_MS = status.ready && !status.cached ? 45 * 60_000 : 120_000;
