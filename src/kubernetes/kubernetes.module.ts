import { DynamicModule, Inject, Injectable, Logger, ModuleMetadata, OnApplicationShutdown, OnModuleDestroy, OnModuleInit, Provider } from '@nestjs/common';
import { ClusterHealth, ClusterRegistry } from './cluster-registry';
import { KubeKubernetesTargets } from './kube-kubernetes-targets';
import { KubernetesTargets } from './kubernetes-targets.port';
import { checkKubernetesConfig, KubernetesConfig, labelKeys } from './kubernetes.config';
import { EnabledTargetsSource, EnabledTargetsView } from './webhook/enabled-targets';
import { WebhookServer } from './webhook/webhook-server';

export const KUBERNETES_CONFIG = Symbol('KUBERNETES_CONFIG');

export interface KubernetesModuleOptions {
  imports?: ModuleMetadata['imports'];
  /** Where the Kubernetes config comes from, e.g. `{ useFactory: (c: AppConfig) => c.kubernetes, inject: [AppConfig] }`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's provider shapes
  config: { useFactory: (...args: any[]) => KubernetesConfig | Promise<KubernetesConfig>; inject?: any[] };
  /** The EnabledTargetsSource implementation (the instances table with its change feed in the app; an array in tests). */
  enabledTargets: Omit<Provider, 'provide'> &
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's provider shapes
    ({ useClass: any } | { useFactory: (...a: any[]) => any; inject?: any[] } | { useValue: any } | { useExisting: any });
}

/** /readyz contributor: one entry per configured cluster, `{ name: 'cluster:<name>', up, detail }`. */
@Injectable()
export class KubernetesReadiness {
  constructor(
    private readonly registry: ClusterRegistry,
    @Inject(KUBERNETES_CONFIG) private readonly config: KubernetesConfig,
    private readonly view: EnabledTargetsView,
  ) {}

  /** The clusters, and with the webhook on `webhookView`: down while the view may miss changes (its change feed is down). */
  async check(): Promise<ClusterHealth[]> {
    const clusters = await this.registry.health();
    if (!this.config.webhook.enabled) return clusters;
    const stale = this.view.stale;
    const view = stale
      ? { name: 'webhookView', up: false, detail: `stale since ${stale.since.toISOString()}: ${stale.reason}` }
      : { name: 'webhookView', up: true, detail: `${this.view.size} enabled target(s)` };
    return [...clusters, view];
  }
}

/** Starts the webhook server and the enabled-targets refresh when enabled by config; closes them on shutdown. */
@Injectable()
export class WebhookLifecycle implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('KubernetesModule');
  private server?: WebhookServer;

  constructor(
    @Inject(KUBERNETES_CONFIG) private readonly config: KubernetesConfig,
    private readonly view: EnabledTargetsView,
  ) {}

  /** Port the webhook listens on (useful when configured as 0), or undefined when it is off. */
  get port(): number | undefined {
    return this.server?.port;
  }

  async onModuleInit(): Promise<void> {
    const w = this.config.webhook;
    if (!w.enabled) return;
    await this.view.start();
    const keys = labelKeys(this.config);
    this.server = new WebhookServer({
      host: w.host,
      port: w.port,
      certFile: w.certFile!,
      keyFile: w.keyFile!,
      context: { lookup: (ns, app, mod, cl) => this.view.lookup(ns, app, mod, cl), ...keys },
    });
    await this.server.start();
    this.log.log(`admission webhook on port ${this.server.port}; ${this.view.size} enabled target(s)`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.view.stop();
    await this.server?.stop();
    this.server = undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.onModuleDestroy();
  }
}

/**
 * Everything Kubernetes: cluster registry, the KubernetesTargets adapter, the enabled-targets view
 * (call `EnabledTargetsView.refreshNow()` after a Secret change), the admission webhook server, readiness.
 */
export class KubernetesModule {
  static forRoot(opts: KubernetesModuleOptions): DynamicModule {
    const providers: Provider[] = [
      {
        provide: KUBERNETES_CONFIG,
        inject: opts.config.inject ?? [],
        useFactory: async (...args: any[]) => {
          const c = await opts.config.useFactory(...args);
          const problems = checkKubernetesConfig(c);
          if (problems.length) throw new Error(`Invalid svc-sentry configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
          return c;
        },
      },
      { provide: ClusterRegistry, inject: [KUBERNETES_CONFIG], useFactory: (c: KubernetesConfig) => new ClusterRegistry(c) },
      {
        provide: KubernetesTargets,
        inject: [KUBERNETES_CONFIG, ClusterRegistry],
        useFactory: (c: KubernetesConfig, r: ClusterRegistry) => new KubeKubernetesTargets(c, r),
      },
      { provide: EnabledTargetsSource, ...opts.enabledTargets } as Provider,
      {
        provide: EnabledTargetsView,
        inject: [KUBERNETES_CONFIG, EnabledTargetsSource],
        useFactory: (c: KubernetesConfig, s: EnabledTargetsSource) => new EnabledTargetsView(s, { intervalMs: c.webhook.refreshSeconds * 1000 }),
      },
      KubernetesReadiness,
      WebhookLifecycle,
    ];
    return {
      module: KubernetesModule,
      // Global: the reconciler, /readyz and the REST API take the KubernetesTargets port where it is mounted.
      global: true,
      imports: opts.imports ?? [],
      providers,
      exports: [KUBERNETES_CONFIG, KubernetesTargets, EnabledTargetsView, KubernetesReadiness, ClusterRegistry, WebhookLifecycle],
    };
  }
}
