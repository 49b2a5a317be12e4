import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export type RecordKind = 'service' | 'plan' | 'client-side';

/** BlueKing-only records: catalog upserts (service metadata, plans) and client-side instances. */
@Injectable()
export class BkpaasRecords {
  constructor(private readonly ds: DataSource) {}

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

  /** BlueKing instances whose engine app or project slug is `name` (the `?name=` lookup). */
  async instanceIdsNamed(name: string): Promise<string[]> {
    const rows: { external_id: string }[] = await this.ds.query(
      `SELECT external_id FROM instances WHERE origin = 'bkpaas' AND external_id IS NOT NULL AND desired = 'present'
       AND (parameters->>'engine_app_name' = $1 OR project_slug = $1) ORDER BY created_at`,
      [name],
    );
    return rows.map((r) => r.external_id);
  }
}
