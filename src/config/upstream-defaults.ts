import type { AppConfig } from './config.schema';

/** The upstream used when a plan names none: `defaultUpstream`, else the one named "default", else the first. */
export function defaultUpstreamName(c: AppConfig): string | undefined {
  return c.defaultUpstream ?? c.upstreams.find((u) => u.name === 'default')?.name ?? c.upstreams[0]?.name;
}
