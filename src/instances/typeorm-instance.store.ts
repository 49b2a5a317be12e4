import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ReconcileQueue, SqlExecutor } from './reconcile-queue.port';
import { AttachmentEntity, InstanceEntity, KeyEntity, OperationEntity, TeamMemberAddedEntity } from './entities';
import { DriftCandidate, InstanceStore, ModuleTx, Page } from './instance-store';
import { Attachment, Instance, Key, Operation, OperationState, Protocol } from './model';

/** InstanceStore on PostgreSQL through TypeORM. */
@Injectable()
export class TypeormInstanceStore extends InstanceStore {
  constructor(
    private readonly ds: DataSource,
    private readonly queue: ReconcileQueue,
  ) {
    super();
  }

  async withModuleLock<T>(app: string, module: string, fn: (tx: ModuleTx) => Promise<T>): Promise<T> {
    try {
      return await this.ds.transaction(async (m) => {
        // Serializes toggles of one app module across requests and replicas.
        await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`svc-sentry:module:${app}/${module}`]);
        return fn(this.tx(m, app, module));
      });
    } catch (e) {
      // A unique index refused a row a concurrent request (under another module's lock) just wrote,
      // e.g. one platform instance id sent for two app modules at once.
      if ((e as { driverError?: { code?: string } }).driverError?.code === '23505') {
        throw new DomainError(ErrorCode.Conflict, 'a concurrent request wrote the same instance id; nothing was changed', {
          constraint: (e as { driverError?: { constraint?: string } }).driverError?.constraint,
        });
      }
      throw e;
    }
  }

  private tx(m: EntityManager, app: string, module: string): ModuleTx {
    const db: SqlExecutor = {
      executeSql: async (text, values) => ({ rows: (await m.query(text, values as unknown[] | undefined)) as unknown[] }),
    };
    return {
      attachment: () => m.findOneBy(AttachmentEntity, { app, module }),
      instances: () => m.find(InstanceEntity, { where: { app, module }, order: { env: 'ASC' } }),
      saveAttachment: (a) => m.save(AttachmentEntity, a),
      saveInstance: (i) => m.save(InstanceEntity, i),
      keys: (instanceId) => m.find(KeyEntity, { where: { instanceId }, order: { createdAt: 'ASC' } }),
      findByExternalId: (origin, externalId) => m.findOneBy(InstanceEntity, { origin, externalId }),
      latestOperation: (instanceId, bindingId) => this.latestOperationIn(m, instanceId, bindingId),
      saveKey: (k) => m.save(KeyEntity, k),
      createOperation: (o) => m.save(OperationEntity, { ...o, finishedAt: null }),
      enqueue: (ids) => this.queue.enqueue(ids, db),
    };
  }

  findAttachment(app: string, module: string): Promise<Attachment | null> {
    return this.ds.manager.findOneBy(AttachmentEntity, { app, module });
  }

  findInstances(app: string, module: string): Promise<Instance[]> {
    return this.ds.manager.find(InstanceEntity, { where: { app, module }, order: { env: 'ASC' } });
  }

  getInstance(id: string): Promise<Instance | null> {
    return this.ds.manager.findOneBy(InstanceEntity, { id });
  }

  findByExternalId(origin: Protocol, externalId: string): Promise<Instance | null> {
    return this.ds.manager.findOneBy(InstanceEntity, { origin, externalId });
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
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's deep-partial type rejects the domain's json columns
    await this.ds.manager.update(InstanceEntity, { id }, patch as any);
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
    return this.ds.manager.find(KeyEntity, { where: { instanceId }, order: { createdAt: 'ASC' } });
  }

  saveKey(k: Partial<Key> & Pick<Key, 'instanceId' | 'name'>): Promise<Key> {
    return this.ds.manager.save(KeyEntity, k);
  }

  getOperation(id: string): Promise<Operation | null> {
    return this.ds.manager.findOneBy(OperationEntity, { id });
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

  lastOperationFor(app: string, module: string): Promise<Operation | null> {
    return this.ds.manager.findOne(OperationEntity, { where: { app, module }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  openOperationsFor(instanceId: string): Promise<Operation[]> {
    return this.ds.manager
      .createQueryBuilder(OperationEntity, 'o')
      .where(`o.state = 'in progress'`)
      .andWhere('o.instances ? :id', { id: instanceId })
      .getMany();
  }

  latestOperationFor(instanceId: string, bindingId?: string | null): Promise<Operation | null> {
    return this.latestOperationIn(this.ds.manager, instanceId, bindingId);
  }

  private latestOperationIn(m: EntityManager, instanceId: string, bindingId?: string | null): Promise<Operation | null> {
    const q = m.createQueryBuilder(OperationEntity, 'o').where('o.instances ? :id', { id: instanceId });
    if (bindingId === null) q.andWhere(`o.request->>'bindingId' IS NULL`);
    else if (bindingId !== undefined) q.andWhere(`o.request->>'bindingId' = :bid`, { bid: bindingId });
    return q.orderBy('o.createdAt', 'DESC').addOrderBy('o.id', 'DESC').getOne();
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

  async finishOperation(id: string, state: OperationState, description: string | null): Promise<void> {
    await this.ds.manager.update(OperationEntity, { id, state: 'in progress' }, { state, description, finishedAt: new Date() });
  }
}
