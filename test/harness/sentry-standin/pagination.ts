/**
 * Sentry-style cursor pagination (docs/api/pagination): cursor = `value:offset:is_prev`,
 * `Link` header with both `previous` and `next`, each with `results` and `cursor`.
 * Stand-in semantics: `0:N:0` = page starting at item N; `0:N:1` = the page before item N.
 */
import { HttpError } from './http-util';

export interface Page<T> {
  items: T[];
  link: string;
}

const MAX_PER_PAGE = 100;

export function paginate<T>(all: T[], url: URL, baseUrl: string, defaultPageSize: number): Page<T> {
  let size = defaultPageSize;
  const perPage = url.searchParams.get('per_page');
  if (perPage !== null) {
    const n = Number(perPage);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PER_PAGE) {
      throw new HttpError(400, { detail: `Invalid per_page parameter. Value must be between 1 and ${MAX_PER_PAGE}.` });
    }
    size = n;
  }
  let start = 0;
  const cursor = url.searchParams.get('cursor');
  if (cursor) {
    const m = /^(\d+):(\d+):([01])$/.exec(cursor);
    if (!m) throw new HttpError(400, { detail: 'Invalid cursor parameter.' });
    const offset = Number(m[2]);
    start = m[3] === '1' ? Math.max(0, offset - size) : offset;
  }
  const items = all.slice(start, start + size);
  const end = start + items.length;

  const query = new URLSearchParams(url.searchParams);
  query.delete('cursor');
  const qs = query.toString();
  const linkBase = `${baseUrl}${url.pathname}?${qs}${qs ? '&' : ''}`;
  const prevCursor = `0:${start}:1`;
  const nextCursor = `0:${start + size}:0`;
  const link =
    `<${linkBase}cursor=${prevCursor}>; rel="previous"; results="${start > 0}"; cursor="${prevCursor}", ` +
    `<${linkBase}cursor=${nextCursor}>; rel="next"; results="${end < all.length}"; cursor="${nextCursor}"`;
  return { items, link };
}
