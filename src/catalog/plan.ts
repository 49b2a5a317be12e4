/** A catalog plan as the domain sees it (resolved from config, defaults filled in). */
export interface Plan {
  name: string;
  description: string;
  upstream: string | undefined;
  environments: string[];
  tracesSampleRate: Record<string, number>;
  deletePolicy: 'keep' | 'delete';
  dsnFormat: 'modern' | 'legacy';
  platform: string;
  defaultAlertRule: boolean;
  keyRateLimit?: { count: number; window: number };
  /** Restart the app's Deployments after its Secret changes; unset = the Kubernetes config default. */
  rollout?: boolean;
}

export const DEFAULT_PLAN_NAME = 'default';
