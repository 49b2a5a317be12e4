import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EnabledTarget, EnabledTargetsSource } from './webhook/enabled-targets';

/**
 * The webhook's source of truth: every instance whose monitoring is wanted and whose Secret
 * location is known (the reconciler records it when it writes the Secret). One indexed query per refresh.
 */
@Injectable()
export class InstancesEnabledTargets extends EnabledTargetsSource {
  constructor(private readonly ds: DataSource) {
    super();
  }

  async list(): Promise<EnabledTarget[]> {
    const rows: Array<{ app: string; module: string; env: string; secret: { cluster: string; namespace: string; name: string } }> = await this.ds.query(
      `SELECT app, module, env, secret FROM instances WHERE desired = 'present' AND secret IS NOT NULL`,
    );
    return rows.map((r) => ({ app: r.app, module: r.module, env: r.env, cluster: r.secret.cluster, namespace: r.secret.namespace, secretName: r.secret.name }));
  }
}
