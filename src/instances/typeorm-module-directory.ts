import { DataSource } from 'typeorm';
import { InstanceState } from './model';
import { ModuleDirectory, ModuleFilter, ModuleSummary } from './module-directory';

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** ModuleDirectory over the attachments and instances tables: one row per (app, module), ordered by app then module. */
export class TypeormModuleDirectory extends ModuleDirectory {
  constructor(private readonly ds: DataSource) {
    super();
  }

  async list(filter: ModuleFilter, offset: number, limit: number): Promise<{ items: ModuleSummary[]; total: number }> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter.app) {
      params.push(`%${likeEscape(filter.app)}%`);
      where.push(`k.app LIKE $${params.length}`);
    }
    if (filter.module) {
      params.push(filter.module);
      where.push(`k.module = $${params.length}`);
    }
    if (filter.state) {
      params.push(filter.state);
      where.push(`EXISTS (SELECT 1 FROM instances s WHERE s.app = k.app AND s.module = k.module AND s.state = $${params.length})`);
    }
    params.push(offset, limit);
    const rows: Array<{
      app: string;
      module: string;
      enabled: boolean;
      plan: string | null;
      environments: Record<string, InstanceState> | null;
      updated_at: Date;
      total: string;
    }> = await this.ds.query(
      `WITH k AS (SELECT app, module FROM attachments UNION SELECT app, module FROM instances)
       SELECT k.app, k.module,
              COALESCE(a.enabled, bool_or(i.desired = 'present'), false) AS enabled,
              COALESCE(a.plan, min(i.plan)) AS plan,
              jsonb_object_agg(i.env, i.state) FILTER (WHERE i.env IS NOT NULL) AS environments,
              GREATEST(max(a.updated_at), max(i.updated_at)) AS updated_at,
              count(*) OVER () AS total
         FROM k
         LEFT JOIN attachments a ON a.app = k.app AND a.module = k.module
         LEFT JOIN instances i ON i.app = k.app AND i.module = k.module
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        GROUP BY k.app, k.module, a.enabled, a.plan
        ORDER BY k.app COLLATE "C", k.module COLLATE "C"
       OFFSET $${params.length - 1} LIMIT $${params.length}`,
      params,
    );
    const total = rows.length ? Number(rows[0].total) : offset > 0 ? await this.count(filter) : 0;
    return {
      total,
      items: rows.map((r) => ({
        app: r.app,
        module: r.module,
        enabled: r.enabled,
        plan: r.plan ?? 'default',
        environments: r.environments ?? {},
        updatedAt: new Date(r.updated_at),
      })),
    };
  }

  /** The total when the page is past the end (the window count comes with rows only). */
  private async count(filter: ModuleFilter): Promise<number> {
    const { total } = await this.list(filter, 0, 1);
    return total;
  }
}
