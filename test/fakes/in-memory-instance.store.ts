import { randomUUID } from 'node:crypto';
import { DriftCandidate, InstanceStore, ModuleTx, Page } from '../../src/instances/instance-store';
import { Attachment, Instance, Key, Operation, OperationState, Protocol } from '../../src/instances/model';
import { sameDesired } from '../../src/instances/desired-state';

/**
 * InstanceStore in memory, for unit tests of the domain. It behaves as the TypeORM store on PostgreSQL
 * does where the domain can tell (test/reconcile/instance-store.contract.e2e-spec.ts runs one suite
 * against both): JSON values come back with jsonb's key order, a module transaction that throws
 * writes nothing, rows come back as copies, instances ordered by environment.
 */
export class InMemoryInstanceStore extends InstanceStore {
  attachments: Attachment[] = [];
  instances: Instance[] = [];
  keys: Key[] = [];
  operations: Operation[] = [];
  enqueued: string[] = [];
  /** upstream/team → e-mails svc-sentry added there. */
  membersAdded = new Map<string, Set<string>>();
  /** When resync last verified each instance's keys (the instance_key_checks table). */
  keysChecked = new Map<string, Date>();

  async withModuleLock<T>(app: string, module: string, fn: (tx: ModuleTx) => Promise<T>): Promise<T> {
    const now = () => new Date();
    const snapshot = structuredClone({ a: this.attachments, i: this.instances, k: this.keys, o: this.operations, e: this.enqueued });
    // As the TypeORM store: a save writes only the columns that differ from the row as this transaction read it, so a
    // reconciler's write to other columns meanwhile stays.
    const seen = new Map<string, object>();
    const see = <R extends { id: string }>(r: R): R => (seen.set(r.id, structuredClone(r)), r);
    const changedOnly = <R extends { id?: string }>(row: R): R => {
      const before = row.id ? (seen.get(row.id) as Record<string, unknown> | undefined) : undefined;
      if (!before) return row;
      return Object.fromEntries(Object.entries(row).filter(([k, v]) => k === 'id' || !sameDesired(before[k], v))) as R;
    };
    const exists = <R extends { id: string }>(list: R[], id?: string) => !!id && list.some((x) => x.id === id);
    // As the TypeORM store: once the last statements are issued the transaction commits with them, and a later
    // statement is refused.
    let last = false;
    const refusedAfterLast = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => {
      return (...a: A): Promise<R> =>
        last ? Promise.reject(new Error('a statement was issued after the transaction said its last ones were (lastStatementsIssued)')) : f(...a);
    };
    const statements: Omit<ModuleTx, 'lastStatementsIssued'> = {
      attachment: async () => {
        const a = await this.findAttachment(app, module);
        return a && see(a);
      },
      instances: async () => (await this.findInstances(app, module)).map(see),
      saveAttachment: async (a) =>
        see(upsert(this.attachments, { ...(exists(this.attachments, a.id) ? {} : { createdAt: now() }), ...changedOnly(a), updatedAt: now() } as Attachment)),
      saveInstance: async (i) =>
        see(
          upsert(this.instances, {
            ...(exists(this.instances, i.id)
              ? {}
              : {
                  createdAt: now(),
                  reconciledAt: null,
                  secret: null,
                  teamSlug: null,
                  projectSlug: null,
                  projectId: null,
                  projectOwned: false,
                  dsnSealed: null,
                  membersSynced: null,
                  conditions: [],
                  membersBackoff: null,
                }),
            ...changedOnly(i),
            updatedAt: now(),
          } as Instance),
        ),
      createOperation: async (o) => upsert(this.operations, { ...o, createdAt: now(), updatedAt: now(), finishedAt: null } as Operation),
      keys: async (instanceId) => this.listKeys(instanceId),
      findByExternalId: async (origin, externalId) => {
        const i = await this.findByExternalId(origin, externalId);
        return i && see(i);
      },
      latestOperation: (instanceId, bindingId) => this.latestOperationFor(instanceId, bindingId),
      lastOperation: async () => [...this.operations].reverse().find((o) => o.app === app && o.module === module) ?? null,
      saveKey: async (k) => this.saveKey(k),
      enqueue: async (ids) => void this.enqueued.push(...ids),
    };
    const tx = {
      ...Object.fromEntries(Object.entries(statements).map(([k, f]) => [k, refusedAfterLast(f as (...a: unknown[]) => Promise<unknown>)])),
      lastStatementsIssued: () => void (last = true),
    } as ModuleTx;
    try {
      return await fn(tx);
    } catch (e) {
      if (last) throw e; // committed with its last statements
      // Rolled back, as the PostgreSQL transaction is.
      Object.assign(this, { attachments: snapshot.a, instances: snapshot.i, keys: snapshot.k, operations: snapshot.o, enqueued: snapshot.e });
      throw e;
    }
  }

  async findAttachment(app: string, module: string) {
    const a = this.attachments.find((x) => x.app === app && x.module === module);
    return a ? { ...a } : null;
  }
  async findModule(app: string, module: string) {
    return { attachment: await this.findAttachment(app, module), instances: await this.findInstances(app, module) };
  }
  async findInstances(app: string, module: string) {
    return this.instances
      .filter((i) => i.app === app && i.module === module)
      .sort((x, y) => (x.env < y.env ? -1 : x.env > y.env ? 1 : 0))
      .map((i) => ({ ...i }));
  }
  async getInstance(id: string) {
    const i = this.instances.find((x) => x.id === id);
    return i ? { ...i } : null;
  }
  async getInstances(ids: string[]) {
    return this.instances.filter((x) => ids.includes(x.id)).map((i) => ({ ...i }));
  }
  async findByExternalId(origin: Protocol, externalId: string) {
    const i = this.instances.find((x) => x.origin === origin && x.externalId === externalId);
    return i ? { ...i } : null;
  }
  async externalIdsNamed(origin: Protocol, name: string) {
    return this.instances
      .filter((i) => i.origin === origin && i.externalId !== null && i.desired === 'present')
      .filter((i) => i.parameters?.engine_app_name === name || i.projectSlug === name)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((i) => i.externalId!);
  }
  async updateInstance(id: string, patch: Partial<Instance>) {
    const i = this.instances.find((x) => x.id === id);
    if (!i) throw new Error(`no instance ${id}`);
    Object.assign(i, asJsonb(patch), { updatedAt: new Date() });
  }
  async listUnsettledInstanceIds() {
    const settled = (i: Instance) =>
      i.observedGeneration >= i.generation &&
      ((i.desired === 'present' && i.state === 'ready' && !i.error) || (i.desired === 'absent' && i.state === 'disabled'));
    return this.instances.filter((i) => !settled(i)).map((i) => i.id);
  }
  async listDriftCandidates(): Promise<DriftCandidate[]> {
    return this.instances
      .filter((i) => i.desired === 'present' && i.state === 'ready' && !i.error && i.observedGeneration >= i.generation)
      .map((i) => ({
        id: i.id,
        plan: i.plan,
        upstream: i.upstream,
        projectSlug: i.projectSlug,
        projectId: i.projectId,
        keysCheckedAt: this.keysChecked.get(i.id) ?? null,
      }));
  }
  async markKeysChecked(ids: string[], at: Date) {
    for (const id of ids) if (this.instances.some((i) => i.id === id)) this.keysChecked.set(id, at);
  }
  async findAppInstances(app: string) {
    return this.instances
      .filter((i) => i.app === app)
      .sort((x, y) => (x.module + '/' + x.env < y.module + '/' + y.env ? -1 : x.module + '/' + x.env > y.module + '/' + y.env ? 1 : 0))
      .map((i) => ({ ...i }));
  }
  async teamMembersAdded(upstream: string, team: string) {
    return [...(this.membersAdded.get(`${upstream}/${team}`) ?? [])].sort();
  }
  async recordTeamMembers(upstream: string, team: string, added: string[], removed: string[]) {
    const set = this.membersAdded.get(`${upstream}/${team}`) ?? new Set<string>();
    for (const e of added) set.add(e.toLowerCase());
    for (const e of removed) set.delete(e.toLowerCase());
    this.membersAdded.set(`${upstream}/${team}`, set);
  }
  async listSecretHolders() {
    return this.instances.filter((i) => i.desired === 'present' && i.state === 'ready' && i.secret).map((i) => ({ ...i }));
  }
  async listKeys(instanceId: string) {
    return this.keys.filter((k) => k.instanceId === instanceId).map((k) => ({ ...k }));
  }
  async saveKey(k: Partial<Key> & Pick<Key, 'instanceId' | 'name'>) {
    return upsert(this.keys, { createdAt: new Date(), upstreamKeyId: null, dsnSealed: null, parameters: null, ...k, updatedAt: new Date() } as Key);
  }
  async getOperation(id: string) {
    return this.operations.find((o) => o.id === id) ?? null;
  }
  async listOperations(app: string, offset: number, limit: number): Promise<Page<Operation>> {
    const all = this.operations.filter((o) => o.app === app).reverse();
    return { items: all.slice(offset, offset + limit), total: all.length };
  }
  async openOperationsFor(instanceId: string) {
    return this.operations.filter((o) => o.state === 'in progress' && instanceId in o.instances);
  }
  async latestOperationFor(instanceId: string, bindingId?: string | null) {
    return (
      [...this.operations]
        .reverse()
        .find(
          (o) =>
            instanceId in o.instances && (bindingId === undefined || (bindingId === null ? o.request.bindingId == null : o.request.bindingId === bindingId)),
        ) ?? null
    );
  }
  async latestOperationByExternalId(protocol: Protocol, externalId: string) {
    return [...this.operations].reverse().find((o) => o.protocol === protocol && o.request.externalId === externalId && o.request.bindingId == null) ?? null;
  }
  async finishOperations(verdicts: Array<{ id: string; state: OperationState; description: string | null }>) {
    for (const { id, state, description } of verdicts) {
      const o = this.operations.find((x) => x.id === id && x.state === 'in progress');
      if (o) Object.assign(o, { state, description, finishedAt: new Date() });
    }
  }
}

/** PostgreSQL's jsonb key order: shorter keys first, then bytewise. */
const jsonbOrder = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
const jsonb = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(jsonb)
    : v && typeof v === 'object' && !(v instanceof Date)
      ? Object.fromEntries(
          Object.keys(v)
            .sort(jsonbOrder)
            .map((k) => [k, jsonb((v as Record<string, unknown>)[k])]),
        )
      : v;
/** A row's JSON columns (object or array values) as jsonb gives them back. */
function asJsonb<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v && typeof v === 'object' && !(v instanceof Date) ? jsonb(v) : v])) as T;
}

function upsert<T extends { id?: string }>(list: T[], input: T): T {
  const item = asJsonb(input);
  const existing = item.id ? list.find((x) => x.id === item.id) : undefined;
  if (existing) return { ...Object.assign(existing, item) };
  const created = { ...item, id: item.id ?? randomUUID() };
  list.push(created);
  return { ...created };
}
