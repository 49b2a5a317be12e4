/**
 * The one place that loads @kubernetes/client-node. It is ESM-only; this CommonJS build loads it with
 * require(esm) (Node >= 20.19), and Jest transpiles it (see jest.config.js transformIgnorePatterns).
 * Only adapters under src/kubernetes use these types.
 */
import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

export type { K8s };
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const k8s: typeof K8s = require('@kubernetes/client-node');
