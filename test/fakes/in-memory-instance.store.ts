import { randomUUID } from 'node:crypto';
import { InstanceStore, ModuleTx, Page } from '../../src/instances/instance-store';
import { Attachment, Instance, Key, Operation, OperationState, Protocol } from '../../src/instances/model';

/** InstanceStore in memory, for unit tests of the domain (the real one is exercised on PostgreSQL by the e2e suites). */
export class InMemoryInstanceStore extends InstanceStore {
  attachments: Attachment[] = [];
  instances: Instance[] = [];
  keys: Key[] = [];
  operations: Operation[] = [];
  enqueued: string[] = [];

  async withModuleLock<T>(app: string, module: string, fn: (tx: ModuleTx) => Promise<T>): Promise<T> {
    const now = () => new Date();
    return fn({
      attachment: async () => this.attachments.find((a) => a.app === app && a.module === module) ?? null,
      instances: async () => this.instances.filter((i) => i.app === app && i.module === module),
      saveAttachment: async (a) => upsert(this.attachments, { createdAt: now(), ...a, updatedAt: now() } as Attachment),
      saveInstance: async (i) =>
        upsert(this.instances, {
          createdAt: now(),
          reconciledAt: null,
          secret: null,
          teamSlug: null,
          projectSlug: null,
          projectId: null,
          projectOwned: false,
          dsnSealed: null,
          membersSynced: null,
          ...i,
          updatedAt: now(),
        } as Instance),
      createOperation: async (o) => upsert(this.operations, { ...o, createdAt: now(), updatedAt: now(), finishedAt: null } as Operation),
      keys: async (instanceId) => this.listKeys(instanceId),
      saveKey: async (k) => this.saveKey(k),
      enqueue: async (ids) => void this.enqueued.push(...ids),
    });
  }

  async findAttachment(app: string, module: string) {
    return this.attachments.find((a) => a.app === app && a.module === module) ?? null;
  }
  async findInstances(app: string, module: string) {
    return this.instances.filter((i) => i.app === app && i.module === module);
  }
  async getInstance(id: string) {
    const i = this.instances.find((x) => x.id === id);
    return i ? { ...i } : null;
  }
  async findByExternalId(origin: Protocol, externalId: string) {
    const i = this.instances.find((x) => x.origin === origin && x.externalId === externalId);
    return i ? { ...i } : null;
  }
  async updateInstance(id: string, patch: Partial<Instance>) {
    const i = this.instances.find((x) => x.id === id);
    if (!i) throw new Error(`no instance ${id}`);
    Object.assign(i, patch, { updatedAt: new Date() });
  }
  async listInstanceIdsForResync() {
    return this.instances.filter((i) => !(i.desired === 'absent' && i.state === 'disabled' && i.observedGeneration >= i.generation)).map((i) => i.id);
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
  async lastOperationFor(app: string, module: string) {
    return [...this.operations].reverse().find((o) => o.app === app && o.module === module) ?? null;
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
  async finishOperation(id: string, state: OperationState, description: string | null) {
    const o = this.operations.find((x) => x.id === id && x.state === 'in progress');
    if (o) Object.assign(o, { state, description, finishedAt: new Date() });
  }
}

function upsert<T extends { id?: string }>(list: T[], item: T): T {
  const existing = item.id ? list.find((x) => x.id === item.id) : undefined;
  if (existing) return Object.assign(existing, item);
  const created = { ...item, id: item.id ?? randomUUID() };
  list.push(created);
  return { ...created };
}
