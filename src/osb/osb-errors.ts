import { DomainError, ErrorCode } from '../common/domain-error';

/**
 * The spec's own description texts. Platforms' OSB clients recognise AsyncRequired and
 * ConcurrencyError by these exact words (and only then retry with accepts_incomplete or back off).
 */
export const SPEC_TEXT = {
  AsyncRequired: 'This service plan requires client support for asynchronous service operations.',
  ConcurrencyError: 'The Service Broker does not support concurrent requests that mutate the same resource.',
} as const;

export const asyncRequired = () => new DomainError(ErrorCode.AsyncRequired, SPEC_TEXT.AsyncRequired);
export const concurrencyError = () => new DomainError(ErrorCode.ConcurrencyError, SPEC_TEXT.ConcurrencyError);
export const badRequest = (description: string) => new DomainError(ErrorCode.InvalidInput, description);
export const notFound = (description: string) => new DomainError(ErrorCode.NotFound, description);
export const gone = (description: string) => new DomainError(ErrorCode.Gone, description);
