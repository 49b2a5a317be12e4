import { Logger } from '@nestjs/common';
import { readFileSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { webhookDecisions, webhookDuration } from '../kubernetes.metrics';
import { admit, AdmissionContext } from './admission';

export interface WebhookServerOptions {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  context: Omit<AdmissionContext, 'cluster'>;
  /** How often to look for a rotated certificate (ms); 0 disables. */
  certCheckMs?: number;
}

/** The apiserver sends at most ~3 MiB; anything larger is not an AdmissionReview we want to parse. */
const MAX_BODY = 3 * 1024 * 1024 + 64 * 1024;
const PATH = /^\/mutate-pods(?:\/([a-z0-9]([-a-z0-9]*[a-z0-9])?))?\/?(?:\?.*)?$/;

/**
 * The admission webhook's own HTTPS server: POST /mutate-pods (or /mutate-pods/<cluster> when several clusters
 * call the same service) and GET /healthz. Certificate and key come from files and are re-read when they change.
 */
export class WebhookServer {
  private readonly log = new Logger('AdmissionWebhook');
  private server?: Server;
  private certTimer?: NodeJS.Timeout;
  private certStamp = '';

  constructor(private readonly opts: WebhookServerOptions) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.opts.port;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { cert, key } = this.readCert();
    const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
      const started = process.hrtime.bigint();
      const match = req.method === 'POST' ? PATH.exec(req.url ?? '') : null;
      if (!match) {
        if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        } else {
          res.writeHead(req.method === 'POST' ? 404 : 405, { 'content-type': 'text/plain' }).end('POST /mutate-pods');
        }
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('AdmissionReview too large');
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (res.writableEnded) return;
        const result = admit(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), this.contextFor(match[1]));
        res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(result.body) });
        res.end(result.body);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.count(result.decision, result.dryRun, seconds);
        if (result.decision === 'error') {
          this.log.error(`admission error for uid ${result.uid} (answered allowed, no patch): ${result.error?.stack ?? result.error}`);
        } else if (result.decision === 'malformed') {
          this.log.warn(`malformed AdmissionReview from ${req.socket.remoteAddress}: ${result.body.slice(0, 200)}`);
        }
      });
      req.on('error', () => res.destroy());
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', fail);
        ok();
      });
    });
    server.on('tlsClientError', () => undefined);
    this.server = server;
    const every = this.opts.certCheckMs ?? 30_000;
    if (every > 0) {
      this.certTimer = setInterval(() => this.reloadCertIfChanged(), every);
      this.certTimer.unref();
    }
    this.log.log(`admission webhook listening on https://${this.opts.host}:${this.port}/mutate-pods`);
  }

  async stop(): Promise<void> {
    if (this.certTimer) clearInterval(this.certTimer);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    });
  }

  private readonly contexts = new Map<string | undefined, AdmissionContext>();

  /** The admission context for a webhook path, made once per cluster name (no allocation per request). */
  private contextFor(cluster: string | undefined): AdmissionContext {
    let ctx = this.contexts.get(cluster);
    if (!ctx) {
      ctx = { ...this.opts.context, cluster };
      if (this.contexts.size < 64) this.contexts.set(cluster, ctx); // paths are caller-chosen: keep the cache bounded
    }
    return ctx;
  }

  /** Metric children cached per label set (label hashing on every request is measurable at thousands/s). */
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly timers = new Map<string, { observe(v: number): void }>();

  private count(decision: string, dryRun: boolean, seconds: number): void {
    const k = `${decision}:${dryRun}`;
    let c = this.counters.get(k);
    if (!c) this.counters.set(k, (c = webhookDecisions.labels(decision, String(dryRun))));
    c.inc();
    let t = this.timers.get(decision);
    if (!t) this.timers.set(decision, (t = webhookDuration.labels(decision)));
    t.observe(seconds);
  }

  private readCert(): { cert: Buffer; key: Buffer } {
    const cert = readFileSync(this.opts.certFile);
    const key = readFileSync(this.opts.keyFile);
    this.certStamp = this.stamp();
    return { cert, key };
  }

  private stamp(): string {
    const a = statSync(this.opts.certFile);
    const b = statSync(this.opts.keyFile);
    return `${a.mtimeMs}:${a.size}:${b.mtimeMs}:${b.size}`;
  }

  private reloadCertIfChanged(): void {
    try {
      if (!this.server || this.stamp() === this.certStamp) return;
      const { cert, key } = this.readCert();
      this.server.setSecureContext({ cert, key, minVersion: 'TLSv1.2' });
      this.log.log('webhook certificate reloaded');
    } catch (e) {
      this.log.warn(`webhook certificate reload failed, keeping the current one: ${(e as Error).message}`);
    }
  }
}
