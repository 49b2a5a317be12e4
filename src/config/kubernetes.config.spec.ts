import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { checkKubernetesConfig, effectiveClusters, KubernetesConfig, labelKeys } from './kubernetes.config';

const load = (raw: Record<string, unknown>) => {
  const c = plainToInstance(KubernetesConfig, raw, { exposeDefaultValues: true });
  return { c, errors: validateSync(c) };
};

describe('KubernetesConfig', () => {
  it('has safe defaults: no cluster, template {app}-{env}, default labels, rollout and webhook off on 8443', () => {
    const { c, errors } = load({});
    expect(errors).toEqual([]);
    expect(effectiveClusters(c)).toEqual([]);
    expect(c).toMatchObject({ namespaceTemplate: '{app}-{env}', rollout: false, webhook: { enabled: false, port: 8443, refreshSeconds: 10 } });
    expect(labelKeys(c)).toEqual({ appLabel: 'svc-sentry.io/app', moduleLabel: 'svc-sentry.io/module', versionLabel: 'app.kubernetes.io/version' });
    expect(checkKubernetesConfig(c)).toEqual([]);
  });

  it('reads env-style strings: name=path pairs or a single path, booleans and ports', () => {
    const { c, errors } = load({
      kubeconfigs: 'east=/k/east.yaml, west=/k/west.yaml',
      inCluster: 'true',
      rollout: 'yes',
      webhook: { enabled: 'true', port: '9443', certFile: 'c', keyFile: 'k' },
    });
    expect(errors).toEqual([]);
    expect(effectiveClusters(c).map((x) => [x.name, x.kubeconfig ?? 'in-cluster'])).toEqual([
      ['east', '/k/east.yaml'],
      ['west', '/k/west.yaml'],
      ['in-cluster', 'in-cluster'],
    ]);
    expect(c.rollout).toBe(true);
    expect(c.webhook).toMatchObject({ enabled: true, port: 9443 });
    expect(effectiveClusters(load({ kubeconfigs: '/home/ops/.kube/config' }).c)).toEqual([
      expect.objectContaining({ name: 'default', kubeconfig: '/home/ops/.kube/config' }),
    ]);
  });

  it('applies the BlueKing preset and explicit label overrides', () => {
    expect(labelKeys(load({ labelPreset: 'bkpaas' }).c)).toMatchObject({
      appLabel: 'bkapp.paas.bk.tencent.com/code',
      moduleLabel: 'bkapp.paas.bk.tencent.com/module-name',
    });
    expect(labelKeys(load({ labelPreset: 'bkpaas', moduleLabel: 'x.io/mod' }).c).moduleLabel).toBe('x.io/mod');
  });

  it('reports bad values', () => {
    expect(load({ labelPreset: 'nope' }).errors).not.toEqual([]);
    expect(load({ appLabel: 'not a label' }).errors).not.toEqual([]);
    expect(load({ webhook: { port: '70000' } }).errors).not.toEqual([]);
    const problems = checkKubernetesConfig(
      load({
        clusters: [
          { name: 'a', kubeconfig: '/x', inCluster: true },
          { name: 'a', kubeconfig: '/y' },
        ],
        defaultCluster: 'zzz',
        namespaceTemplate: 'bk-{app}-{stage}',
        webhook: { enabled: true },
      }).c,
    );
    expect(problems.join('\n')).toMatch(/exactly one of kubeconfig or inCluster/);
    expect(problems.join('\n')).toMatch(/duplicate cluster "a"/);
    expect(problems.join('\n')).toMatch(/no cluster named "zzz"/);
    expect(problems.join('\n')).toMatch(/unknown placeholder\(s\) \{stage\}/);
    expect(problems.join('\n')).toMatch(/certFile and keyFile/);
  });
});
