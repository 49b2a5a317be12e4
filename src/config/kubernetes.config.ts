import { EnvBool, EnvNumber } from './env-transforms';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';

/**
 * Kubernetes part of the svc-sentry configuration (`kubernetes:` in the YAML file, plus env vars).
 *
 * clusters: where apps run. Each is in-cluster (the Pod's service account) or a kubeconfig file (+ optional context).
 * With no cluster configured the Secret step is skipped and reported as "no cluster configured".
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Qualified label key: optional DNS-subdomain prefix + '/' + name. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export class ClusterConfig {
  @Matches(DNS_LABEL, { message: 'cluster name must be a DNS-1123 label' })
  name: string;

  /** Path of a kubeconfig file. Exactly one of kubeconfig / inCluster. */
  @IsOptional()
  @IsString()
  kubeconfig?: string;

  /** Context inside the kubeconfig (default: its current-context). */
  @IsOptional()
  @IsString()
  context?: string;

  /** Use the service account of the Pod svc-sentry runs in. */
  @IsOptional()
  @EnvBool()
  @IsBoolean()
  inCluster?: boolean;
}

export const LABEL_PRESETS = {
  /** svc-sentry's own keys. */
  default: { appLabel: 'svc-sentry.io/app', moduleLabel: 'svc-sentry.io/module' },
  /** BlueKing PaaS 3.0 (bkpaas) labels its app Pods with the app code and module name. */
  bkpaas: { appLabel: 'bkapp.paas.bk.tencent.com/code', moduleLabel: 'bkapp.paas.bk.tencent.com/module-name' },
} as const;
export type LabelPreset = keyof typeof LABEL_PRESETS;

export class WebhookConfig {
  /** Serve the mutating admission webhook (HTTPS). */
  @EnvBool()
  @IsBoolean()
  enabled = false;

  /** WEBHOOK_PORT; 0 picks a free port (tests). */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 8443;

  @IsString()
  host = '0.0.0.0';

  /** PEM certificate (chain) and key files; re-read when they change (cert rotation). */
  @IsOptional()
  @IsString()
  certFile?: string;

  @IsOptional()
  @IsString()
  keyFile?: string;

  /**
   * How often the webhook's view is re-read from a source that has no change feed. On the database the view is fed by
   * LISTEN/NOTIFY and loads in full only at start and after a lost connection, so this does not apply there.
   */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(3600)
  refreshSeconds = 10;
}

export class KubernetesConfig {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ClusterConfig)
  clusters: ClusterConfig[] = [];

  /**
   * SVC_SENTRY_KUBECONFIG: `name=path,name2=path2` or a single path (cluster "default"); merged into clusters.
   * Kept raw here; see effectiveClusters().
   */
  @IsOptional()
  @IsString()
  kubeconfigs?: string;

  /** SVC_SENTRY_IN_CLUSTER=true: add a cluster "in-cluster" using the Pod's service account. */
  @IsOptional()
  @EnvBool()
  @IsBoolean()
  inCluster?: boolean;

  /** Cluster used when a request names none (default: the first configured). */
  @IsOptional()
  @Matches(DNS_LABEL)
  defaultCluster?: string;

  /**
   * Namespace of (app, module, env) when the request gives none. Placeholders {app} {module} {env}.
   * Default `{app}-{env}`; BlueKing's convention is `bkapp-{app}-{env}`.
   */
  @Matches(/^[a-z0-9{}-]+$/, { message: 'namespaceTemplate may hold lowercase letters, digits, "-" and {app} {module} {env}' })
  namespaceTemplate = '{app}-{env}';

  @IsIn(Object.keys(LABEL_PRESETS))
  labelPreset: LabelPreset = 'default';

  /** Pod label naming the app (overrides the preset). */
  @IsOptional()
  @Matches(LABEL_KEY, { message: 'appLabel must be a Kubernetes label key' })
  appLabel?: string;

  /** Pod label naming the module (overrides the preset). */
  @IsOptional()
  @Matches(LABEL_KEY, { message: 'moduleLabel must be a Kubernetes label key' })
  moduleLabel?: string;

  /** Pod label whose value becomes SENTRY_RELEASE (downward API); Pods without it get no SENTRY_RELEASE. */
  @Matches(LABEL_KEY, { message: 'versionLabel must be a Kubernetes label key' })
  versionLabel = 'app.kubernetes.io/version';

  /** After a Secret changes, restart the module's Deployments (pod-template annotation). Off by default. */
  @EnvBool()
  @IsBoolean()
  rollout = false;

  /** Per-request timeout against an apiserver. */
  @EnvNumber()
  @IsInt()
  @Min(100)
  @Max(120000)
  requestTimeoutMs = 10000;

  @ValidateNested()
  @Type(() => WebhookConfig)
  webhook: WebhookConfig = new WebhookConfig();
}

/** The clusters to use: `clusters`, plus SVC_SENTRY_KUBECONFIG pairs, plus SVC_SENTRY_IN_CLUSTER. */
export function effectiveClusters(c: KubernetesConfig): ClusterConfig[] {
  const out: ClusterConfig[] = [...c.clusters];
  const add = (x: ClusterConfig) => {
    const i = out.findIndex((o) => o.name === x.name);
    if (i >= 0) out[i] = x;
    else out.push(x);
  };
  for (const part of (c.kubeconfigs ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq > 0) add(Object.assign(new ClusterConfig(), { name: part.slice(0, eq).trim(), kubeconfig: part.slice(eq + 1).trim() }));
    else add(Object.assign(new ClusterConfig(), { name: 'default', kubeconfig: part }));
  }
  if (c.inCluster) add(Object.assign(new ClusterConfig(), { name: 'in-cluster', inCluster: true }));
  return out;
}

/** Problems the class validators cannot see (cross-field); empty when fine. */
export function checkKubernetesConfig(c: KubernetesConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const cl of effectiveClusters(c)) {
    if (!DNS_LABEL.test(cl.name)) problems.push(`kubernetes.clusters: "${cl.name}" is not a DNS-1123 label`);
    if (names.has(cl.name)) problems.push(`kubernetes.clusters: duplicate cluster "${cl.name}"`);
    names.add(cl.name);
    if (!!cl.inCluster === !!cl.kubeconfig) problems.push(`kubernetes.clusters.${cl.name}: set exactly one of kubeconfig or inCluster`);
  }
  if (c.defaultCluster && !names.has(c.defaultCluster)) problems.push(`kubernetes.defaultCluster: no cluster named "${c.defaultCluster}"`);
  const unknown = c.namespaceTemplate.match(/\{[^}]*\}/g)?.filter((p) => !['{app}', '{module}', '{env}'].includes(p)) ?? [];
  if (unknown.length) problems.push(`kubernetes.namespaceTemplate: unknown placeholder(s) ${unknown.join(' ')}`);
  if (c.webhook.enabled && (!c.webhook.certFile || !c.webhook.keyFile)) {
    problems.push('kubernetes.webhook: enabled needs certFile and keyFile (SVC_SENTRY_WEBHOOK_CERT_FILE, SVC_SENTRY_WEBHOOK_KEY_FILE)');
  }
  return problems;
}

/** Pod label keys in effect (preset, then explicit overrides). */
export function labelKeys(c: KubernetesConfig): { appLabel: string; moduleLabel: string; versionLabel: string } {
  const preset = LABEL_PRESETS[c.labelPreset] ?? LABEL_PRESETS.default;
  return { appLabel: c.appLabel ?? preset.appLabel, moduleLabel: c.moduleLabel ?? preset.moduleLabel, versionLabel: c.versionLabel };
}

/** Environment variables → config paths (merged into load-config's ENV_VARS). */
export const KUBERNETES_ENV_VARS: Record<string, string> = {
  SVC_SENTRY_KUBECONFIG: 'kubernetes.kubeconfigs',
  SVC_SENTRY_IN_CLUSTER: 'kubernetes.inCluster',
  SVC_SENTRY_DEFAULT_CLUSTER: 'kubernetes.defaultCluster',
  SVC_SENTRY_NAMESPACE_TEMPLATE: 'kubernetes.namespaceTemplate',
  SVC_SENTRY_LABEL_PRESET: 'kubernetes.labelPreset',
  SVC_SENTRY_APP_LABEL: 'kubernetes.appLabel',
  SVC_SENTRY_MODULE_LABEL: 'kubernetes.moduleLabel',
  SVC_SENTRY_VERSION_LABEL: 'kubernetes.versionLabel',
  SVC_SENTRY_ROLLOUT: 'kubernetes.rollout',
  SVC_SENTRY_KUBE_TIMEOUT_MS: 'kubernetes.requestTimeoutMs',
  SVC_SENTRY_WEBHOOK_ENABLED: 'kubernetes.webhook.enabled',
  WEBHOOK_PORT: 'kubernetes.webhook.port',
  SVC_SENTRY_WEBHOOK_HOST: 'kubernetes.webhook.host',
  SVC_SENTRY_WEBHOOK_CERT_FILE: 'kubernetes.webhook.certFile',
  SVC_SENTRY_WEBHOOK_KEY_FILE: 'kubernetes.webhook.keyFile',
  SVC_SENTRY_WEBHOOK_REFRESH_SECONDS: 'kubernetes.webhook.refreshSeconds',
};
