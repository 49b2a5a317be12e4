import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig, UpstreamConfig } from '../config/config.schema';
import { ErrorTracker } from './error-tracker.port';
import { SentryTracker } from './sentry/sentry.adapter';
import { GlitchtipTracker } from './glitchtip/glitchtip.adapter';
import { BugsinkTracker } from './bugsink/bugsink.adapter';

/** Builds one ErrorTracker per configured upstream. */
export type TrackerFactory = (cfg: UpstreamConfig) => ErrorTracker;

export const defaultTrackerFactory: TrackerFactory = (cfg) => {
  switch (cfg.kind) {
    case 'sentry':
      return new SentryTracker(cfg);
    case 'glitchtip':
      return new GlitchtipTracker(cfg);
    case 'bugsink':
      return new BugsinkTracker(cfg);
    default:
      throw new DomainError(ErrorCode.Unsupported, `upstream kind "${cfg.kind}" is not supported yet`);
  }
};

/** The configured upstreams by name. */
@Injectable()
export class UpstreamRegistry {
  private readonly trackers = new Map<string, ErrorTracker | DomainError>();

  constructor(config: AppConfig, factory: TrackerFactory = defaultTrackerFactory) {
    for (const u of config.upstreams) {
      try {
        this.trackers.set(u.name, factory(u));
      } catch (e) {
        this.trackers.set(u.name, e instanceof DomainError ? e : new DomainError(ErrorCode.Internal, String(e)));
      }
    }
  }

  names(): string[] {
    return [...this.trackers.keys()];
  }

  get(name: string | null | undefined): ErrorTracker {
    const t = name ? this.trackers.get(name) : undefined;
    if (!t) {
      throw new DomainError(
        ErrorCode.UpstreamNotConfigured,
        name
          ? `no upstream named "${name}" is configured`
          : 'no upstream is configured: set SVC_SENTRY_UPSTREAM_URL, _TOKEN and _ORG (or upstreams in SVC_SENTRY_CONFIG)',
      );
    }
    if (t instanceof DomainError) throw t;
    return t;
  }
}
