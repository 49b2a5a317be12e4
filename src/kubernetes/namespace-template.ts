import { InstanceIdentity } from './kubernetes-targets.port';

/** Renders a namespace template such as `bkapp-{app}-{env}` (placeholders {app} {module} {env}). */
export function renderNamespace(template: string, id: InstanceIdentity): string {
  return template.replace(/\{(app|module|env)\}/g, (_, k: 'app' | 'module' | 'env') => id[k]);
}
