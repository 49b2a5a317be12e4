/** The domain model of svc-sentry: toggles, instances, keys and operations. No ORM or HTTP types here. */

export const INSTANCE_STATES = ['pending', 'provisioning', 'ready', 'failed', 'deprovisioning', 'disabled'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];
export type Desired = 'present' | 'absent';
export type Protocol = 'rest' | 'bkpaas' | 'osb' | 'system';

export interface TargetRequest {
  cluster?: string;
  namespace?: string;
}

/** The toggle: monitoring wanted for (app, module). */
export interface Attachment {
  id: string;
  app: string;
  module: string;
  enabled: boolean;
  plan: string;
  developers: string[] | null;
  targets: Record<string, TargetRequest> | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The conditions each environment's status carries (Kubernetes style); `state` summarises them. */
export const CONDITION_TYPES = ['ProjectReady', 'KeyReady', 'SecretReady', 'MembersSynced'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  /** CamelCase, stable: what a machine matches on (e.g. UpstreamUnavailable, NoCluster, PermissionDenied). */
  reason: string;
  /** For humans: what happened and, when False, what comes next. Never a secret. */
  message: string;
  /** The generation of the desired state this condition was determined for. */
  observedGeneration: number;
  /** ISO time of the last change of `status` (not of reason or message). */
  lastTransitionTime: string;
}

/** A failing member sync backs off per instance; recorded so a restart keeps the pace. */
export interface MembersBackoff {
  /** The generation that failed: a new generation starts over. */
  generation: number;
  failures: number;
  /** ISO time before which the member sync is not tried again. */
  retryAt: string;
}

export interface SecretLocation {
  cluster: string;
  namespace: string;
  name: string;
}

/** One upstream project for (app, module, environment), desired and observed. */
export interface Instance {
  id: string;
  app: string;
  module: string;
  env: string;
  plan: string;
  upstream: string | null;
  desired: Desired;
  state: InstanceState;
  error: string | null;
  /** Bumped on every change of desired state; the reconciler records the generation it converged. */
  generation: number;
  observedGeneration: number;
  teamSlug: string | null;
  projectSlug: string | null;
  projectId: string | null;
  /** Whether the recorded project was created by svc-sentry (or adopted as provably ours). */
  projectOwned: boolean;
  dsnSealed: string | null;
  targetRequest: TargetRequest | null;
  secret: SecretLocation | null;
  developers: string[] | null;
  membersSynced: string | null;
  /** ProjectReady, KeyReady, SecretReady, MembersSynced, as the last pass determined them. */
  conditions: Condition[];
  membersBackoff: MembersBackoff | null;
  origin: Protocol;
  /** Id given by a platform protocol (OSB instance id, BlueKing instance id). */
  externalId: string | null;
  parameters: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  reconciledAt: Date | null;
}

export type KeyState = 'pending' | 'active' | 'deleted';

/** A client key svc-sentry created upstream for an instance (the primary DSN or an OSB binding). */
export interface Key {
  id: string;
  instanceId: string;
  purpose: string;
  bindingId: string | null;
  name: string;
  upstreamKeyId: string | null;
  desired: Desired;
  state: KeyState;
  dsnSealed: string | null;
  /** Binding parameters as the platform sent them (OSB), to tell an identical re-bind from a conflicting one. */
  parameters: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

export type OperationState = 'in progress' | 'succeeded' | 'failed';

/** One recorded request: the audit trail and what platform polling reads. */
export interface Operation {
  id: string;
  kind: string;
  app: string;
  module: string | null;
  protocol: Protocol;
  actor: string;
  originatingIdentity: Record<string, unknown> | null;
  request: Record<string, unknown>;
  /** instance id → generation the operation waits for. */
  instances: Record<string, number>;
  state: OperationState;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** The DSNs of a key (declared by the upstream port, which hands them out). */
export type { Dsn } from '../upstreams/error-tracker.port';
