import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';

const flatten = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((c) => (c.startsWith(e.property) ? `${prefix}${c}` : `${prefix}${e.property}: ${c}`)),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/** DTO validation that fails with one InvalidInput listing every problem; unknown fields are rejected. */
export const validationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => {
    const list = flatten(errors);
    return new DomainError(ErrorCode.InvalidInput, list.join('; '), { errors: list });
  },
});
