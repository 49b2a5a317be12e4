/**
 * Coded domain errors. The domain throws these and never an HTTP type; each protocol edge
 * (REST problem+json, OSB, BlueKing) maps the code to its own error shape once.
 */
export enum ErrorCode {
  InvalidInput = 'InvalidInput',
  Unauthorized = 'Unauthorized',
  Forbidden = 'Forbidden',
  NotFound = 'NotFound',
  InstanceNotFound = 'InstanceNotFound',
  OperationNotFound = 'OperationNotFound',
  PlanNotFound = 'PlanNotFound',
  PlanConflict = 'PlanConflict',
  Conflict = 'Conflict',
  ConcurrencyError = 'ConcurrencyError',
  UpstreamNotConfigured = 'UpstreamNotConfigured',
  UpstreamUnavailable = 'UpstreamUnavailable',
  UpstreamRejected = 'UpstreamRejected',
  UpstreamRateLimited = 'UpstreamRateLimited',
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
