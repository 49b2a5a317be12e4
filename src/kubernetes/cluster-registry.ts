import { Agent, AgentOptions } from 'node:https';
import { DomainError, ErrorCode } from '../common/domain-error';
import { K8s, k8s } from './client-node';
import { toDomainError, withTimeout } from './kube-errors';
import { ClusterConfig, effectiveClusters, KubernetesConfig } from '../config/kubernetes.config';

/** API clients of one configured cluster (built lazily, kept for the life of the process). */
export interface ClusterClients {
  name: string;
  server: string;
  core: K8s.CoreV1Api;
  apps: K8s.AppsV1Api;
  version: K8s.VersionApi;
}

export interface ClusterHealth {
  name: string;
  up: boolean;
  detail: string;
}

/** The cluster registry: named clusters from config (kubeconfig files and/or in-cluster), several at once. */
export class ClusterRegistry {
  private readonly configs: ClusterConfig[];
  private readonly clients = new Map<string, ClusterClients>();

  constructor(private readonly config: KubernetesConfig) {
    this.configs = effectiveClusters(config);
  }

  names(): string[] {
    return this.configs.map((c) => c.name);
  }

  /** The cluster used when a request names none. */
  defaultName(): string | undefined {
    return this.config.defaultCluster ?? this.configs[0]?.name;
  }

  has(name: string): boolean {
    return this.configs.some((c) => c.name === name);
  }

  get(name: string): ClusterClients {
    const cached = this.clients.get(name);
    if (cached) return cached;
    const cfg = this.configs.find((c) => c.name === name);
    if (!cfg) {
      throw new DomainError(ErrorCode.InvalidInput, `unknown cluster "${name}"; configured: ${this.names().join(', ') || 'none'}`, { cluster: name });
    }
    const kc = new k8s.KubeConfig();
    try {
      if (cfg.inCluster) {
        if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error('KUBERNETES_SERVICE_HOST is not set: svc-sentry is not running in a Pod');
        kc.loadFromCluster();
      } else {
        kc.loadFromFile(cfg.kubeconfig!);
        if (cfg.context) kc.setCurrentContext(cfg.context);
      }
    } catch (e) {
      throw new DomainError(
        ErrorCode.UpstreamNotConfigured,
        `cluster "${name}": cannot load ${cfg.inCluster ? 'the in-cluster service account' : `kubeconfig ${cfg.kubeconfig}`}: ${(e as Error).message}`,
        { cluster: name },
      );
    }
    reuseConnections(kc);
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new DomainError(ErrorCode.UpstreamNotConfigured, `cluster "${name}": the kubeconfig names no server`, { cluster: name });
    const clients: ClusterClients = {
      name,
      server,
      core: kc.makeApiClient(k8s.CoreV1Api),
      apps: kc.makeApiClient(k8s.AppsV1Api),
      version: kc.makeApiClient(k8s.VersionApi),
    };
    this.clients.set(name, clients);
    return clients;
  }

  /** One readiness probe per cluster: GET /version within the request timeout. */
  async health(): Promise<ClusterHealth[]> {
    return Promise.all(
      this.names().map(async (name) => {
        try {
          const c = this.get(name);
          const v = await withTimeout(
            c.version.getCode().catch((e) => {
              throw toDomainError(e, 'GET /version', { cluster: name });
            }),
            Math.min(this.config.requestTimeoutMs, 5000),
            'GET /version',
            { cluster: name },
          );
          return { name: `cluster:${name}`, up: true, detail: `${c.server} ${v.gitVersion}` };
        } catch (e) {
          return { name: `cluster:${name}`, up: false, detail: (e as Error).message };
        }
      }),
    );
  }
}

/**
 * client-node 1.4 builds a new https.Agent for every request (no connection reuse: a TLS handshake per call).
 * Hand it one keep-alive agent per distinct TLS identity instead; proxies and plain HTTP keep the stock path.
 */
function reuseConnections(kc: K8s.KubeConfig): void {
  const target = kc as unknown as { createAgent: (cluster: K8s.Cluster | null, opts: AgentOptions) => unknown };
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, opts) => {
    if (!cluster || cluster.proxyUrl || !cluster.server?.startsWith('https:')) return original(cluster, opts);
    const key = [opts.ca, opts.cert, opts.key, opts.pfx, opts.passphrase, opts.rejectUnauthorized, opts.servername].map(String).join('\u0000');
    let agent = agents.get(key);
    if (!agent) {
      // Rotated client certificates make new keys; drop the old agents rather than grow.
      for (const a of agents.values()) a.destroy();
      agents.clear();
      agent = new Agent({ ...opts, keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
      agents.set(key, agent);
    }
    return agent;
  };
}
