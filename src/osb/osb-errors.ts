import { DomainError, ErrorCode } from '../common/domain-error';

/** OSB error codes with a fixed meaning (all 422). */
export type OsbCode = 'AsyncRequired' | 'ConcurrencyError' | 'MaintenanceInfoConflict' | 'RequiresApp';

/** A domain error carrying the OSB status (and code) it must be answered with. */
export const osbError = (status: number, description: string, error?: OsbCode, extra: Record<string, unknown> = {}) =>
  new DomainError(status >= 500 ? ErrorCode.Internal : ErrorCode.InvalidInput, description, {
    osbStatus: status,
    ...(error ? { osbError: error } : {}),
    ...extra,
  });

export const asyncRequired = () => osbError(422, 'This plan provisions asynchronously: send accepts_incomplete=true.', 'AsyncRequired');
export const concurrencyError = () => osbError(422, 'Another operation on this instance is in progress; retry when it has finished.', 'ConcurrencyError');
export const badRequest = (description: string) => osbError(400, description);
