import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, In } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { DomainError, ErrorCode } from '../common/domain-error';
import { metrics } from '../metrics/metrics';
import { ReconcileQueue, SqlExecutor } from './reconcile-queue.port';
import { AttachmentEntity, InstanceEntity, KeyEntity, OperationEntity, TeamMemberAddedEntity } from './entities';
import { DriftCandidate, InstanceStore, ModuleTx, Page } from './instance-store';
import { Attachment, Instance, Key, Operation, OperationState, Protocol } from './model';
import { Sql, SqlTable } from './sql-table';

/**
 * InstanceStore on PostgreSQL. TypeORM holds the schema and the rarer queries; the paths every toggle, status read and
 * reconcile pass take run as plain SQL on the pool of TypeORM's data source, each statement prepared once per
 * connection (bench:api: half of PostgreSQL's CPU per statement went to parsing and planning it again).
 */
@Injectable()
export class TypeormInstanceStore extends InstanceStore {
  private readonly attachments: SqlTable<Attachment>;
  private readonly instances: SqlTable<Instance>;
  private readonly keyRows: SqlTable<Key>;
  private readonly operations: SqlTable<Operation>;
  private readonly pool: Pool;
  /** Statements outside a module transaction, each on a pooled connection of its own. */
  private readonly sql: Sql;
  /** Per app module, the last of its transactions queued in this process (withModuleLock). */
  private readonly moduleQueues = new Map<string, Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly queue: ReconcileQueue,
  ) {
    super();
    this.attachments = new SqlTable(ds.getMetadata(AttachmentEntity));
    this.instances = new SqlTable(ds.getMetadata(InstanceEntity));
    this.keyRows = new SqlTable(ds.getMetadata(KeyEntity));
    this.operations = new SqlTable(ds.getMetadata(OperationEntity));
    this.pool = (ds.driver as PostgresDriver).master as Pool;
    this.sql = (text, values) => this.statementsOn((client) => prepared(client)(text, values));
  }

  /** `fn`'s statements on a pooled connection that is not reused once one fails (maybe its fault), as pool.query does. */
  private statementsOn<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.onConnection((client, broken) =>
      fn(client).catch((e: Error) => {
        broken(e);
        throw e;
      }),
    );
  }

  /**
   * A pooled connection for `fn`. None within the pool's wait (every connection busy, or PostgreSQL unreachable) is a
   * DatabaseUnavailable: nothing ran. A connection lost meanwhile fails the statement in flight (its error event is not
   * fatal here); `fn` reports a connection it found broken, which is then discarded, not reused.
   */
  private async onConnection<T>(fn: (client: PoolClient, broken: (e: Error) => void) => Promise<T>): Promise<T> {
    const waited = metrics.dbConnectionWaitSeconds.startTimer();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw noConnection(e as Error);
    } finally {
      waited();
    }
    client.on('error', noop);
    let broken: Error | undefined;
    try {
      return await fn(client, (e) => (broken = e));
    } finally {
      client.off('error', noop);
      client.release(broken);
    }
  }

  withModuleLock<T>(app: string, module: string, fn: (tx: ModuleTx) => Promise<T>): Promise<T> {
    // One app module's transactions run one after another in this process before they take a connection. Waiting on the
    // module's advisory lock instead, each held a pooled connection: under load (bench:api, 100 toggles/s over 100 app
    // modules on a busy machine) those ran the pool out, and every status read and toggle then waited for a connection.
    // The advisory lock still serializes them across replicas.
    const key = `${app}/${module}`;
    const run = (this.moduleQueues.get(key) ?? Promise.resolve()).then(() => this.moduleTransaction(app, module, fn));
    const tail = run.then(noop, noop);
    this.moduleQueues.set(key, tail);
    void tail.then(() => this.moduleQueues.get(key) === tail && this.moduleQueues.delete(key));
    return run;
  }

  private moduleTransaction<T>(app: string, module: string, fn: (tx: ModuleTx) => Promise<T>): Promise<T> {
    return this.onConnection(async (client, broken) => {
      // COMMIT, once sent right behind the transaction's last statements (ModuleTx.lastStatementsIssued).
      let commit: Promise<QueryResult> | undefined;
      let lastIssued = false;
      const sendCommit = () => {
        if (commit) return;
        commit = client.query('COMMIT');
        // Awaited below unless the transaction fails first; its own failure then is the ROLLBACK's concern.
        commit.catch(() => undefined);
      };
      try {
        // The last statements' calls may issue them a few promise callbacks later (the queue's insert does): COMMIT is
        // sent at the end of the event loop's turn, in the same socket write.
        const hold = heldPerTurn(client, () => lastIssued && sendCommit());
        const sql = prepared(client, () => {
          if (commit) throw new Error('a statement was issued after the transaction said its last ones were (lastStatementsIssued)');
          hold();
        });
        // The lock serializes toggles of one app module across requests and replicas. BEGIN and the lock go out with the
        // transaction's first statements, without waiting (the connection is pipelined): once a statement fails, those
        // after it fail too (the transaction is aborted), so nothing runs without the lock. The work's own statements have
        // all settled before the first failure is thrown and the transaction rolled back.
        const locked = Promise.all([sql('BEGIN', []), sql('SELECT pg_advisory_xact_lock(hashtext($1))', [`svc-sentry:module:${app}/${module}`])]);
        const last = () => {
          lastIssued = true;
          setImmediate(sendCommit); // when no statement of this turn holds the socket
        };
        const [begun, done] = await Promise.allSettled([locked, fn(this.tx(sql, app, module, last))]);
        if (begun.status === 'rejected') throw begun.reason;
        if (done.status === 'rejected') throw done.reason;
        // A COMMIT sent after a statement failed is answered ROLLBACK (the transaction was aborted), not an error.
        if ((await (commit ?? client.query('COMMIT'))).command !== 'COMMIT') throw new Error('the transaction was rolled back: one of its statements failed');
        return done.value;
      } catch (e) {
        await client.query('ROLLBACK').catch(broken);
        // A unique index refused a row a concurrent request (under another module's lock) just wrote,
        // e.g. one platform instance id sent for two app modules at once.
        const pgError = e as { code?: string; constraint?: string };
        if (pgError.code === '23505') {
          throw new DomainError(ErrorCode.Conflict, 'a concurrent request wrote the same instance id; nothing was changed', {
            constraint: pgError.constraint,
          });
        }
        throw e;
      }
    });
  }

  private tx(sql: Sql, app: string, module: string, lastStatementsIssued: () => void): ModuleTx {
    const db: SqlExecutor = { executeSql: async (text, values) => ({ rows: await sql(text, values ?? []) }) };
    // Rows as this transaction read or wrote them: a save writes only the columns it changes, so what the reconciler
    // wrote meanwhile to other columns of the row (observed state, conditions) stays.
    const seen = new Map<string, object>();
    const see = <R extends { id: string }>(rows: R[]): R[] => {
      for (const r of rows) seen.set(r.id, r);
      return rows;
    };
    const seeOne = async <R extends { id: string }>(row: Promise<R | null>) => {
      const r = await row;
      if (r) seen.set(r.id, r);
      return r;
    };
    const save = async <R extends { id: string }>(table: SqlTable<R>, row: Partial<R>): Promise<R> => {
      if (!row.id) return see([await table.insert(sql, row)])[0];
      const before = seen.get(row.id) as R | undefined;
      if (!before) return see([await table.upsert(sql, row as Partial<R> & { id: string })])[0];
      const patch = table.changed(before, row);
      if (!Object.keys(patch).length) return { ...before, ...row };
      return see([(await table.update(sql, row.id, patch)) ?? (await table.insert(sql, row))])[0];
    };
    return {
      attachment: () => seeOne(this.attachments.one(sql, 'WHERE app = $1 AND module = $2', [app, module])),
      instances: async () => see(await this.instances.select(sql, 'WHERE app = $1 AND module = $2 ORDER BY env', [app, module])),
      saveAttachment: (a) => save(this.attachments, a),
      saveInstance: (i) => save(this.instances, i),
      keys: async (instanceId) => see(await this.keyRows.select(sql, 'WHERE instance_id = $1 ORDER BY created_at', [instanceId])),
      findByExternalId: (origin, externalId) => seeOne(this.instances.one(sql, 'WHERE origin = $1 AND external_id = $2', [origin, externalId])),
      latestOperation: (instanceId, bindingId) => this.latestOperationIn(sql, instanceId, bindingId),
      lastOperation: () => this.lastOperationIn(sql, app, module),
      saveKey: (k) => save(this.keyRows, k),
      createOperation: (o) => this.operations.insert(sql, { ...o, finishedAt: null }),
      enqueue: (ids) => this.queue.enqueue(ids, db),
      lastStatementsIssued,
    };
  }

  findAttachment(app: string, module: string): Promise<Attachment | null> {
    return this.attachments.one(this.sql, 'WHERE app = $1 AND module = $2', [app, module]);
  }

  findInstances(app: string, module: string): Promise<Instance[]> {
    return this.instances.select(this.sql, 'WHERE app = $1 AND module = $2 ORDER BY env', [app, module]);
  }

  /** On one connection, both statements in one socket write: one round trip, one PostgreSQL wake-up. */
  findModule(app: string, module: string): Promise<{ attachment: Attachment | null; instances: Instance[] }> {
    return this.statementsOn(async (client) => {
      const sql = prepared(client, heldPerTurn(client));
      const [attachment, instances] = await Promise.all([
        this.attachments.one(sql, 'WHERE app = $1 AND module = $2', [app, module]),
        this.instances.select(sql, 'WHERE app = $1 AND module = $2 ORDER BY env', [app, module]),
      ]);
      return { attachment, instances };
    });
  }

  getInstance(id: string): Promise<Instance | null> {
    return this.instances.one(this.sql, 'WHERE id = $1', [id]);
  }

  getInstances(ids: string[]): Promise<Instance[]> {
    return ids.length ? this.instances.select(this.sql, 'WHERE id = ANY($1::uuid[])', [ids]) : Promise.resolve([]);
  }

  findByExternalId(origin: Protocol, externalId: string): Promise<Instance | null> {
    return this.instances.one(this.sql, 'WHERE origin = $1 AND external_id = $2', [origin, externalId]);
  }

  async externalIdsNamed(origin: Protocol, name: string): Promise<string[]> {
    const rows: { external_id: string }[] = await this.ds.query(
      `SELECT external_id FROM instances WHERE origin = $1 AND external_id IS NOT NULL AND desired = 'present'
       AND (parameters->>'engine_app_name' = $2 OR project_slug = $2) ORDER BY created_at, id`,
      [origin, name],
    );
    return rows.map((r) => r.external_id);
  }

  async updateInstance(id: string, patch: Partial<Instance>): Promise<void> {
    await this.instances.update(this.sql, id, patch);
  }

  async listUnsettledInstanceIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.manager.query(
      `SELECT id FROM instances WHERE NOT (observed_generation >= generation AND (
         (desired = 'present' AND state = 'ready' AND error IS NULL) OR (desired = 'absent' AND state = 'disabled'))) ORDER BY updated_at`,
    );
    return rows.map((r) => r.id);
  }

  async listDriftCandidates(): Promise<DriftCandidate[]> {
    const rows: Array<{ id: string; plan: string; upstream: string | null; project_slug: string | null; project_id: string | null; checked_at: Date | null }> =
      await this.ds.manager.query(
        `SELECT i.id, i.plan, i.upstream, i.project_slug, i.project_id, c.checked_at FROM instances i
         LEFT JOIN instance_key_checks c ON c.instance_id = i.id
         WHERE i.desired = 'present' AND i.state = 'ready' AND i.error IS NULL AND i.observed_generation >= i.generation`,
      );
    return rows.map((r) => ({
      id: r.id,
      plan: r.plan,
      upstream: r.upstream,
      projectSlug: r.project_slug,
      projectId: r.project_id,
      keysCheckedAt: r.checked_at,
    }));
  }

  async markKeysChecked(ids: string[], at: Date): Promise<void> {
    if (!ids.length) return;
    // Instances deleted meanwhile are skipped (the join), not an error.
    await this.ds.manager.query(
      `INSERT INTO instance_key_checks (instance_id, checked_at) SELECT id, $2 FROM instances WHERE id = ANY($1::uuid[])
       ON CONFLICT (instance_id) DO UPDATE SET checked_at = EXCLUDED.checked_at`,
      [ids, at],
    );
  }

  findAppInstances(app: string): Promise<Instance[]> {
    return this.ds.manager.find(InstanceEntity, { where: { app }, order: { module: 'ASC', env: 'ASC' } });
  }

  async teamMembersAdded(upstream: string, team: string): Promise<string[]> {
    const rows = await this.ds.manager.find(TeamMemberAddedEntity, { where: { upstream, team }, order: { email: 'ASC' } });
    return rows.map((r) => r.email);
  }

  async recordTeamMembers(upstream: string, team: string, added: string[], removed: string[]): Promise<void> {
    const lower = (l: string[]) => [...new Set(l.map((e) => e.toLowerCase()))];
    if (added.length)
      await this.ds.manager.upsert(
        TeamMemberAddedEntity,
        lower(added).map((email) => ({ upstream, team, email })),
        ['upstream', 'team', 'email'],
      );
    if (removed.length) await this.ds.manager.delete(TeamMemberAddedEntity, { upstream, team, email: In(lower(removed)) });
  }

  listSecretHolders(): Promise<Instance[]> {
    return this.ds.manager.createQueryBuilder(InstanceEntity, 'i').where(`i.desired = 'present' AND i.state = 'ready' AND i.secret IS NOT NULL`).getMany();
  }

  listKeys(instanceId: string): Promise<Key[]> {
    return this.keyRows.select(this.sql, 'WHERE instance_id = $1 ORDER BY created_at', [instanceId]);
  }

  saveKey(k: Partial<Key> & Pick<Key, 'instanceId' | 'name'>): Promise<Key> {
    return this.ds.manager.save(KeyEntity, k);
  }

  getOperation(id: string): Promise<Operation | null> {
    return this.operations.one(this.sql, 'WHERE id = $1', [id]);
  }

  async listOperations(app: string, offset: number, limit: number): Promise<Page<Operation>> {
    const [items, total] = await this.ds.manager.findAndCount(OperationEntity, {
      where: { app },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: offset,
      take: limit,
    });
    return { items, total };
  }

  private lastOperationIn(sql: Sql, app: string, module: string): Promise<Operation | null> {
    return this.operations.one(sql, 'WHERE app = $1 AND module = $2 ORDER BY created_at DESC, id DESC', [app, module]);
  }

  openOperationsFor(instanceId: string): Promise<Operation[]> {
    return this.operations.select(this.sql, `WHERE state = 'in progress' AND instances ? $1`, [instanceId]);
  }

  latestOperationFor(instanceId: string, bindingId?: string | null): Promise<Operation | null> {
    return this.latestOperationIn(this.sql, instanceId, bindingId);
  }

  private latestOperationIn(sql: Sql, instanceId: string, bindingId?: string | null): Promise<Operation | null> {
    const order = 'ORDER BY created_at DESC, id DESC';
    if (bindingId === undefined) return this.operations.one(sql, `WHERE instances ? $1 ${order}`, [instanceId]);
    if (bindingId === null) return this.operations.one(sql, `WHERE instances ? $1 AND request->>'bindingId' IS NULL ${order}`, [instanceId]);
    return this.operations.one(sql, `WHERE instances ? $1 AND request->>'bindingId' = $2 ${order}`, [instanceId, bindingId]);
  }

  latestOperationByExternalId(protocol: Protocol, externalId: string): Promise<Operation | null> {
    return this.ds.manager
      .createQueryBuilder(OperationEntity, 'o')
      .where('o.protocol = :protocol', { protocol })
      .andWhere(`o.request->>'externalId' = :externalId`, { externalId })
      .andWhere(`o.request->>'bindingId' IS NULL`)
      .orderBy('o.createdAt', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .getOne();
  }

  async finishOperations(verdicts: Array<{ id: string; state: OperationState; description: string | null }>): Promise<void> {
    if (!verdicts.length) return;
    // Only operations still in progress: a verdict never overwrites one given before. The rows are locked in id order
    // first: the passes of an operation's environments settle it concurrently and would deadlock locking in any order.
    await this.sql(
      `WITH locked AS (SELECT id FROM operations WHERE id = ANY($1::uuid[]) AND state = 'in progress' ORDER BY id FOR UPDATE)
       UPDATE operations o SET state = v.state, description = v.description, finished_at = now(), updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, state, description), locked
       WHERE o.id = v.id AND o.id = locked.id AND o.state = 'in progress'`,
      [verdicts.map((v) => v.id), verdicts.map((v) => v.state), verdicts.map((v) => v.description)],
    );
  }
}

const noop = () => undefined;

/** pg-pool's error when no pooled connection was freed within its wait (connectionTimeoutMillis). */
const POOL_WAIT_EXCEEDED = 'timeout exceeded when trying to connect';

/** Why the pool gave no connection, in words that name no host, port or user. */
function noConnection(e: Error): DomainError {
  const code = (e as { code?: unknown }).code; // e.g. ECONNREFUSED, or PostgreSQL's 57P03 (starting up)
  const why =
    e.message === POOL_WAIT_EXCEEDED ? 'every pooled connection stayed busy' : `PostgreSQL cannot be reached${typeof code === 'string' ? ` (${code})` : ''}`;
  return new DomainError(ErrorCode.DatabaseUnavailable, `No database connection: ${why}. Nothing was changed; retry later.`, undefined, true);
}

const statementNames = new Map<string, string>();

/**
 * Runs each statement as a named prepared statement (its name from its text), so a connection parses and plans it once.
 * `beforeSend` runs before each statement goes out.
 */
function prepared(on: PoolClient, beforeSend?: () => void): Sql {
  return async (text, values) => {
    let name = statementNames.get(text);
    if (!name) {
      name = `svc_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      statementNames.set(text, name);
    }
    beforeSend?.();
    return (await on.query({ name, text, values })).rows;
  };
}

/**
 * On a pipelined connection, the statements issued in one turn of the event loop go out in one write: the socket is
 * corked at the first and uncorked at the end of the turn. Each write wakes PostgreSQL up, which cost about 50 µs of
 * CPU per write on the 2-core VM bench:api runs on, and a toggle issues up to 8 statements at once. `atEndOfTurn` runs
 * just before the write: what it sends goes out in it.
 */
function heldPerTurn(client: PoolClient, atEndOfTurn: () => void = () => undefined): () => void {
  const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
  let held = false;
  return () => {
    if (held || !stream?.cork || !stream.uncork) return;
    held = true;
    stream.cork();
    setImmediate(() => {
      held = false;
      atEndOfTurn();
      stream.uncork!();
    });
  };
}
