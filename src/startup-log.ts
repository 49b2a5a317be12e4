import { LoggerService } from '@nestjs/common';
import { AppConfig } from './config/config.schema';
import { effectiveClusters } from './config/kubernetes.config';

/** Nest's start-up chatter (module wiring, one line per route, "started"): at debug, so the summary line stands out. */
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** The application logger with Nest's start-up contexts moved from info to debug; everything else passes through. */
export class QuietStartupLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) this.inner.debug?.(message, ...rest);
    else this.inner.log(message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.inner.error(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug?.(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...rest);
  }
}

/** What is not configured, each with the setting(s) that configure it. */
export function notConfigured(config: AppConfig): string[] {
  const missing: string[] = [];
  if (!config.upstreams.length) missing.push('upstream (SVC_SENTRY_UPSTREAM_URL, SVC_SENTRY_UPSTREAM_TOKEN, SVC_SENTRY_UPSTREAM_ORG; toggles fail until set)');
  if (!config.apiTokens.length) missing.push('REST API tokens (SVC_SENTRY_API_TOKENS; the REST API rejects every request)');
  if (!config.osb.password) missing.push('Open Service Broker password (SVC_SENTRY_OSB_PASSWORD; OSB answers 401)');
  if (!config.bkpaas.jwtClients.length) missing.push('BlueKing JWT clients (SVC_SENTRY_BKPAAS_JWT_CLIENTS; BlueKing calls are refused)');
  if (!effectiveClusters(config.kubernetes).length)
    missing.push('Kubernetes clusters (SVC_SENTRY_KUBECONFIG or SVC_SENTRY_IN_CLUSTER; no Secrets are written)');
  return missing;
}

export interface StartupFacts {
  config: AppConfig;
  /** The embedded PostgreSQL, when DATABASE_URL is not set. */
  embedded?: { port: number; dataDir: string };
  /** DATABASE_URL, when set (only its host, port and database are shown). */
  databaseUrl?: string;
  /** Names of the migrations this start applied. */
  migrations: string[];
}

/** The one info line after `listen`: URL, docs, role, database (and how to connect to an embedded one), what is not configured. */
export function startupSummary(f: StartupFacts): string {
  const { config } = f;
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${config.port}`;
  const database = f.embedded
    ? `embedded PostgreSQL on 127.0.0.1:${f.embedded.port} (connect: psql -h 127.0.0.1 -p ${f.embedded.port} -U svc_sentry svc_sentry), data in ${f.embedded.dataDir}`
    : `PostgreSQL ${databaseWhere(f.databaseUrl)}`;
  const schema = f.migrations.length ? `applied ${f.migrations.length} migration(s)` : 'up to date';
  const missing = notConfigured(config);
  return (
    `svc-sentry listening on ${url} (role ${config.role}): REST ${url}/api/v1, docs ${url}/docs, health /healthz /readyz, metrics /metrics; ` +
    `database: ${database}, schema ${schema}; ` +
    (missing.length ? `not configured: ${missing.join(', ')}` : 'everything configured')
  );
}

/** host:port/database of a PostgreSQL URL, never its credentials. */
function databaseWhere(url: string | undefined): string {
  try {
    const u = new URL(url ?? '');
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(DATABASE_URL)';
  }
}
