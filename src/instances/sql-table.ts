import { EntityMetadata, ObjectLiteral } from 'typeorm';
import { sameDesired } from './desired-state';

/** Runs one statement with $n parameters and answers its rows (in a transaction or on the pool). */
export type Sql = (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

interface ColumnMap {
  prop: string;
  db: string;
  json: boolean;
  /** Set by the database, never by a write: the primary key on update, created_at, updated_at. */
  managed: 'id' | 'created' | 'updated' | null;
}

/**
 * One entity's table queried with plain SQL: a select, an insert or an update is one round trip (RETURNING gives the
 * row back) and costs a fraction of TypeORM's query builder and `save`, which reads a row before each write and cost
 * about 1 ms of CPU per query on the toggle API's paths (bench:api's profile). Column names, the jsonb columns and the
 * mapping of rows to the domain's objects come from the entity's metadata, so the entity stays the one definition.
 * Each statement's text depends only on the columns involved, so the store can keep it prepared per connection.
 */
export class SqlTable<T extends ObjectLiteral> {
  readonly name: string;
  private readonly columns: ColumnMap[];
  private readonly byProp: Map<string, ColumnMap>;
  private readonly selectList: string;

  constructor(meta: EntityMetadata) {
    this.name = meta.tableName;
    this.columns = meta.columns.map((c) => ({
      prop: c.propertyName,
      db: c.databaseName,
      json: c.type === 'jsonb' || c.type === 'json',
      managed: c.isPrimary ? 'id' : c.isCreateDate ? 'created' : c.isUpdateDate ? 'updated' : null,
    }));
    this.byProp = new Map(this.columns.map((c) => [c.prop, c]));
    this.selectList = this.columns.map((c) => `"${c.db}"`).join(', ');
  }

  /** `SELECT <every column> FROM <table> <rest>`, where `rest` holds the WHERE / ORDER BY / LIMIT with $n parameters. */
  async select(sql: Sql, rest: string, params: unknown[] = []): Promise<T[]> {
    return this.map(await sql(`SELECT ${this.selectList} FROM "${this.name}" ${rest}`, params));
  }

  async one(sql: Sql, rest: string, params: unknown[] = []): Promise<T | null> {
    return (await this.select(sql, `${rest} LIMIT 1`, params))[0] ?? null;
  }

  /** Inserts the given columns (the others take their defaults) and answers the whole row. */
  async insert(sql: Sql, values: Partial<T>): Promise<T> {
    const cols = this.writable(values, (c) => c.managed !== 'updated');
    const text = `INSERT INTO "${this.name}" (${cols.map((c) => `"${c.db}"`).join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
    return this.map(
      await sql(
        text,
        cols.map((c) => this.param(c, values[c.prop])),
      ),
    )[0];
  }

  /**
   * Updates the given columns of the row with this id (and updated_at), or inserts the row when there is none (created_at
   * and updated_at then take their defaults): one statement for a row the caller did not read, which may or may not
   * exist. Answers the whole row.
   */
  async upsert(sql: Sql, values: Partial<T> & { id: string }): Promise<T> {
    const cols = this.writable(values, (c) => c.managed === null);
    const id = this.columns.find((c) => c.managed === 'id')!;
    const updated = this.columns.find((c) => c.managed === 'updated');
    const sets = [...cols.map((c, i) => `"${c.db}" = $${i + 2}`), ...(updated ? [`"${updated.db}" = now()`] : [])];
    const inserted = [id, ...cols];
    // The insert's parameters take their types from the update, where they appear first (a bare `SELECT $n` is text).
    const text =
      `WITH u AS (UPDATE "${this.name}" SET ${sets.join(', ')} WHERE "${id.db}" = $1 RETURNING *), ` +
      `i AS (INSERT INTO "${this.name}" (${inserted.map((c) => `"${c.db}"`).join(', ')}) ` +
      `SELECT ${inserted.map((_, i) => `$${i + 1}`).join(', ')} WHERE NOT EXISTS (SELECT 1 FROM u) RETURNING *) ` +
      `SELECT * FROM u UNION ALL SELECT * FROM i`;
    return this.map(
      await sql(
        text,
        inserted.map((c) => this.param(c, values[c.prop])),
      ),
    )[0];
  }

  /**
   * Updates the given columns of the row with this id (and updated_at) and answers the whole row, or null when there
   * is no such row.
   */
  async update(sql: Sql, id: string, patch: Partial<T>): Promise<T | null> {
    const cols = this.writable(patch, (c) => c.managed === null);
    const updated = this.columns.find((c) => c.managed === 'updated');
    const sets = [...cols.map((c, i) => `"${c.db}" = $${i + 2}`), ...(updated ? [`"${updated.db}" = now()`] : [])];
    const text = `UPDATE "${this.name}" SET ${sets.join(', ')} WHERE "id" = $1 RETURNING *`;
    return this.map(await sql(text, [id, ...cols.map((c) => this.param(c, patch[c.prop]))]))[0] ?? null;
  }

  /** The properties of `next` whose values differ from `before` (jsonb compared by value, dates by time). */
  changed(before: T, next: Partial<T>): Partial<T> {
    const out: Partial<T> = {};
    for (const [prop, value] of Object.entries(next)) {
      const col = this.byProp.get(prop);
      if (!col || col.managed || value === undefined) continue;
      const old = before[prop];
      const same =
        value instanceof Date || old instanceof Date
          ? value instanceof Date && old instanceof Date && value.getTime() === old.getTime()
          : col.json
            ? sameDesired(old ?? null, value ?? null)
            : old === value;
      if (!same) (out as Record<string, unknown>)[prop] = value;
    }
    return out;
  }

  private writable(values: Partial<T>, keep: (c: ColumnMap) => boolean): ColumnMap[] {
    return this.columns.filter((c) => keep(c) && values[c.prop] !== undefined);
  }

  /** jsonb values go as JSON text: the driver would send a JS array as a PostgreSQL array. */
  private param(c: ColumnMap, value: unknown): unknown {
    return c.json && value !== null ? JSON.stringify(value) : value;
  }

  private map(rows: Record<string, unknown>[]): T[] {
    return rows.map((r) => {
      const o: Record<string, unknown> = {};
      for (const c of this.columns) o[c.prop] = r[c.db];
      return o as T;
    });
  }
}
