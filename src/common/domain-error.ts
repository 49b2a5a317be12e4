/**
 * Coded domain errors. The domain throws these and never an HTTP type; each protocol edge
 * (REST problem+json, OSB, BlueKing) maps every code to its own error shape once, with a
 * `Record<ErrorCode, …>`, so a code an edge forgot fails to compile.
 */
export enum ErrorCode {
  /** The request is malformed or names something invalid. */
  InvalidInput = 'InvalidInput',
  Unauthorized = 'Unauthorized',
  Forbidden = 'Forbidden',
  NotFound = 'NotFound',
  InstanceNotFound = 'InstanceNotFound',
  OperationNotFound = 'OperationNotFound',
  /** The thing existed and has been removed (OSB 410). */
  Gone = 'Gone',
  PlanNotFound = 'PlanNotFound',
  PlanConflict = 'PlanConflict',
  Conflict = 'Conflict',
  ConcurrencyError = 'ConcurrencyError',
  /** The plan only works asynchronously and the caller did not allow it. */
  AsyncRequired = 'AsyncRequired',
  /** The caller's maintenance_info.version is not the catalog's. */
  MaintenanceInfoConflict = 'MaintenanceInfoConflict',
  /** A well-formed change that cannot be applied (e.g. moving an instance to another app). */
  UnsupportedChange = 'UnsupportedChange',
  /** The protocol version the caller asked for is not served. */
  UnsupportedVersion = 'UnsupportedVersion',
  UpstreamNotConfigured = 'UpstreamNotConfigured',
  UpstreamUnavailable = 'UpstreamUnavailable',
  UpstreamRejected = 'UpstreamRejected',
  UpstreamRateLimited = 'UpstreamRateLimited',
  /** A Kubernetes apiserver is unreachable, answers 5xx/429 or too slowly. */
  ClusterUnavailable = 'ClusterUnavailable',
  /** A Kubernetes apiserver refused the request (RBAC, missing namespace, invalid object). */
  ClusterRejected = 'ClusterRejected',
  /**
   * PostgreSQL gave no connection in time: every pooled connection stayed busy for the pool's wait (a load the machine
   * cannot carry), or the database cannot be reached. Nothing was changed; the same request later may succeed.
   */
  DatabaseUnavailable = 'DatabaseUnavailable',
  /** The work did not finish within the time the caller waits; it continues in the background. */
  Timeout = 'Timeout',
  /** The work ran and failed (the reason is in the message). */
  OperationFailed = 'OperationFailed',
  NotOwned = 'NotOwned',
  PayloadTooLarge = 'PayloadTooLarge',
  Unsupported = 'Unsupported',
  Internal = 'Internal',
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Safe, structured details for the edge (never secrets). */
    readonly details?: Record<string, unknown>,
    /** Whether retrying the same thing later may succeed (used by the reconciler). */
    readonly retryable = false,
  ) {
    super(message);
    this.name = code;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
