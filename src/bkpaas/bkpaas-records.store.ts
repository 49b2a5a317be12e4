import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InstanceStore } from '../instances/instance-store';

export type RecordKind = 'service' | 'plan' | 'client-side';

/** BlueKing-only records (table bkpaas_records): catalog upserts (service metadata, plans) and client-side instances. */
@Injectable()
export class BkpaasRecords {
  constructor(
    private readonly ds: DataSource,
    private readonly instances: InstanceStore,
  ) {}

  async get<T = Record<string, unknown>>(kind: RecordKind, id: string): Promise<T | null> {
    const rows = await this.ds.query('SELECT data FROM bkpaas_records WHERE kind = $1 AND id = $2', [kind, id]);
    return rows[0]?.data ?? null;
  }

  async list<T = Record<string, unknown>>(kind: RecordKind): Promise<Array<{ id: string; data: T }>> {
    return this.ds.query('SELECT id, data FROM bkpaas_records WHERE kind = $1 ORDER BY created_at, id', [kind]);
  }

  /** Inserts or replaces; returns whether the record was new. */
  async put(kind: RecordKind, id: string, data: object): Promise<boolean> {
    const rows = await this.ds.query(
      `INSERT INTO bkpaas_records (kind, id, data) VALUES ($1, $2, $3)
       ON CONFLICT (kind, id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [kind, id, JSON.stringify(data)],
    );
    return rows[0]?.inserted === true;
  }

  async delete(kind: RecordKind, id: string): Promise<boolean> {
    const [, count] = await this.ds.query('DELETE FROM bkpaas_records WHERE kind = $1 AND id = $2', [kind, id]);
    return count > 0;
  }

  /** BlueKing instances whose engine app or project slug is `name` (the `?name=` lookup): the instance store answers. */
  instanceIdsNamed(name: string): Promise<string[]> {
    return this.instances.externalIdsNamed('bkpaas', name);
  }
}
