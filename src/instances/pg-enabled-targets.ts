import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EnabledTarget, EnabledTargetsSink, EnabledTargetsSource } from '../kubernetes/webhook/enabled-targets';

/** The channel the instances trigger notifies (migration 1764612340000-InstancesChangeNotify): payload = instance id. */
export const INSTANCES_CHANNEL = 'svc_sentry_instances';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  app: string;
  module: string;
  env: string;
  secret: { cluster: string; namespace: string; name: string };
}

const WANTED = `desired = 'present' AND secret IS NOT NULL`;
const toTarget = (r: Row): EnabledTarget => ({
  id: r.id,
  app: r.app,
  module: r.module,
  env: r.env,
  cluster: r.secret.cluster,
  namespace: r.secret.namespace,
  secretName: r.secret.name,
});

export interface PgEnabledTargetsOptions {
  /** Connection string of the listener's own connection; defaults to the DataSource's url. */
  url?: string;
  /** Reconnect delays (ms): first, and the cap it doubles up to. */
  reconnectMs?: number;
  reconnectMaxMs?: number;
  /** application_name of the listener's connection (what pg_stat_activity shows). */
  applicationName?: string;
}

/**
 * The webhook's targets from the instances table: every instance whose monitoring is wanted and whose Secret location
 * is recorded (the reconciler records it when it writes the Secret), with a change feed. A trigger on instances
 * NOTIFYs the id of each row whose target may have changed; one dedicated connection per process LISTENs (error
 * listener, reconnect with backoff; reset() after each (re)connect so the view reloads what it may have missed).
 * The reads go through the DataSource's pool.
 */
export class PgEnabledTargets extends EnabledTargetsSource {
  private readonly url: string;
  private readonly reconnectMs: number;
  private readonly reconnectMaxMs: number;
  private readonly applicationName: string;
  private client?: Client;
  private sink?: EnabledTargetsSink;
  private stopped = true;
  private delay: number;
  private reconnectTimer?: NodeJS.Timeout;
  /** Connections made by the feed (the first one and each reconnect). */
  connects = 0;

  constructor(
    private readonly ds: DataSource,
    opts: PgEnabledTargetsOptions = {},
  ) {
    super();
    const url = opts.url ?? (ds.options as { url?: string }).url;
    if (!url) throw new Error('PgEnabledTargets needs a connection string (the DataSource has no url)');
    this.url = url;
    this.reconnectMs = opts.reconnectMs ?? 250;
    this.reconnectMaxMs = opts.reconnectMaxMs ?? 10_000;
    this.applicationName = opts.applicationName ?? 'svc-sentry-webhook-view';
    this.delay = this.reconnectMs;
  }

  async list(): Promise<EnabledTarget[]> {
    const rows: Row[] = await this.ds.query(`SELECT id, app, module, env, secret FROM instances WHERE ${WANTED}`);
    return rows.map(toTarget);
  }

  override async read(ids: string[]): Promise<EnabledTarget[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (!valid.length) return [];
    const rows: Row[] = await this.ds.query(`SELECT id, app, module, env, secret FROM instances WHERE id = ANY($1::uuid[]) AND ${WANTED}`, [valid]);
    return rows.map(toTarget);
  }

  /** Connects and LISTENs; resolves after the first attempt (when it failed, reconnects go on in the background). */
  override async watch(sink: EnabledTargetsSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    await this.connect();
  }

  override async unwatch(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: this.applicationName, keepAlive: true });
    this.client = client;
    let down = false;
    const onDown = (why: string) => {
      if (down) return;
      down = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.sink?.lost(why);
      this.reconnectLater();
    };
    // A connection without an error listener takes the process down when PostgreSQL goes away.
    client.on('error', (e: Error) => onDown(e.message));
    client.on('end', () => onDown('connection closed'));
    client.on('notification', (n) => {
      if (n.channel === INSTANCES_CHANNEL && n.payload && UUID.test(n.payload)) this.sink?.changed([n.payload]);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${INSTANCES_CHANNEL}`);
    } catch (e) {
      onDown((e as Error).message);
      return;
    }
    if (this.stopped || down) return;
    this.connects++;
    this.delay = this.reconnectMs;
    this.sink?.reset();
  }

  private reconnectLater(): void {
    if (this.reconnectTimer || this.stopped) return;
    const delay = this.delay * (0.8 + Math.random() * 0.4);
    this.delay = Math.min(this.reconnectMaxMs, this.delay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
