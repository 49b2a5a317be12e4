import { Transform } from 'class-transformer';

/**
 * Environment variables arrive as strings; these decorators turn them into the type a config field
 * declares (YAML values already typed pass through), so validation sees real numbers, booleans and lists.
 * A string that is not of that form is left as is, and validation names it.
 */
export const EnvNumber = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value));

export const EnvBool = () =>
  Transform(({ value }) => (typeof value === 'string' ? (/^(1|true|yes|on)$/i.test(value) ? true : /^(0|false|no|off)$/i.test(value) ? false : value) : value));

/** Comma-separated, trimmed, empty entries dropped. */
export const EnvList = () =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  );
