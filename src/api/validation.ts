import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';

const flatten = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((c) => (c.startsWith(e.property) ? `${prefix}${c}` : `${prefix}${e.property}: ${c}`)),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/** Deeper than any body the API takes: anything beyond is refused before validation walks it (recursion). */
export const MAX_BODY_DEPTH = 32;

/** The nesting depth of a JSON value, measured without recursion (a 3000-level body must not overflow the stack). */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d + 1 > max) return true;
    for (const child of Object.values(v as Record<string, unknown>)) if (child && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}

/** DTO validation that fails with one InvalidInput listing every problem; unknown fields are rejected. */
class DomainValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && depthExceeds(value, MAX_BODY_DEPTH)) {
      throw new DomainError(ErrorCode.InvalidInput, `The body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
    }
    return super.transform(value, metadata);
  }
}

export const validationPipe = new DomainValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => {
    const list = flatten(errors);
    return new DomainError(ErrorCode.InvalidInput, list.join('; '), { errors: list });
  },
});
