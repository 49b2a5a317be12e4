import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { ErrorCode } from '../common/domain-error';
import { ClusterRegistry } from './cluster-registry';
import { KubernetesConfig } from '../config/kubernetes.config';

const registry = (raw: Record<string, unknown>) => new ClusterRegistry(plainToInstance(KubernetesConfig, raw, { exposeDefaultValues: true }));

describe('ClusterRegistry', () => {
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved;
  });

  it('lists clusters from config and env, with the first (or defaultCluster) as default', () => {
    const r = registry({ clusters: [{ name: 'east', kubeconfig: '/k/east' }], kubeconfigs: 'west=/k/west', inCluster: true });
    expect(r.names()).toEqual(['east', 'west', 'in-cluster']);
    expect(r.defaultName()).toBe('east');
    expect(registry({ kubeconfigs: 'a=/a,b=/b', defaultCluster: 'b' }).defaultName()).toBe('b');
    expect(registry({}).defaultName()).toBeUndefined();
  });

  it('says why a cluster cannot be used, and /readyz reports it down', async () => {
    delete process.env.KUBERNETES_SERVICE_HOST;
    const r = registry({ kubeconfigs: 'gone=/nonexistent/kubeconfig', inCluster: true });
    expect(() => r.get('gone')).toThrow(
      expect.objectContaining({ code: ErrorCode.UpstreamNotConfigured, message: expect.stringContaining('/nonexistent/kubeconfig') }),
    );
    expect(() => r.get('in-cluster')).toThrow(
      expect.objectContaining({ code: ErrorCode.UpstreamNotConfigured, message: expect.stringContaining('not running in a Pod') }),
    );
    expect(() => r.get('nope')).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
    expect(await r.health()).toEqual([
      { name: 'cluster:gone', up: false, detail: expect.stringContaining('cannot load kubeconfig') },
      { name: 'cluster:in-cluster', up: false, detail: expect.stringContaining('service account') },
    ]);
  });
});
