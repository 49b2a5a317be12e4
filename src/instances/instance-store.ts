import { Attachment, Instance, Key, Operation, OperationState, Protocol } from './model';

/** Writes made while holding the lock of one (app, module): they commit together with the enqueued jobs. */
export interface ModuleTx {
  attachment(): Promise<Attachment | null>;
  instances(): Promise<Instance[]>;
  saveAttachment(a: Partial<Attachment> & Pick<Attachment, 'app' | 'module'>): Promise<Attachment>;
  saveInstance(i: Partial<Instance> & Pick<Instance, 'app' | 'module' | 'env'>): Promise<Instance>;
  keys(instanceId: string): Promise<Key[]>;
  /** Reads under the lock go through its transaction (a read on another connection would wait for a second one). */
  findByExternalId(origin: Protocol, externalId: string): Promise<Instance | null>;
  latestOperation(instanceId: string, bindingId?: string | null): Promise<Operation | null>;
  /** The latest operation of this app module. */
  lastOperation(): Promise<Operation | null>;
  saveKey(k: Partial<Key> & Pick<Key, 'instanceId' | 'name'>): Promise<Key>;
  createOperation(o: Omit<Operation, 'id' | 'createdAt' | 'updatedAt' | 'finishedAt'>): Promise<Operation>;
  /** Asks the reconciler to converge these instances once the transaction commits. */
  enqueue(instanceIds: string[]): Promise<void>;
  /**
   * Every statement of the transaction has been issued by the calls made so far (some issue theirs a few promise
   * callbacks later, in this turn of the event loop): the store may send COMMIT right behind them, a round trip fewer
   * (the module's lock is held that much less). The transaction then commits unless one of those statements fails, so
   * the caller may only build its answer afterwards. A statement issued once the COMMIT went out is refused.
   */
  lastStatementsIssued(): void;
}

/** A ready, converged instance as resync's bulk drift check sees it. */
export interface DriftCandidate {
  id: string;
  plan: string;
  upstream: string | null;
  projectSlug: string | null;
  projectId: string | null;
  /** When resync last verified the instance's keys upstream (null: never). */
  keysCheckedAt: Date | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Port: persistence of the domain (PostgreSQL through TypeORM in production, in memory in unit tests). */
export abstract class InstanceStore {
  abstract withModuleLock<T>(app: string, module: string, fn: (tx: ModuleTx) => Promise<T>): Promise<T>;
  abstract findAttachment(app: string, module: string): Promise<Attachment | null>;
  abstract findInstances(app: string, module: string): Promise<Instance[]>;
  /** Both of an app module's reads at once (the status read): a store may answer them in one round trip. */
  abstract findModule(app: string, module: string): Promise<{ attachment: Attachment | null; instances: Instance[] }>;
  abstract getInstance(id: string): Promise<Instance | null>;
  /** The instances with these ids that exist, in no particular order. */
  abstract getInstances(ids: string[]): Promise<Instance[]>;
  /** The instance a platform protocol knows by its own id (OSB / BlueKing instance id). */
  abstract findByExternalId(origin: Protocol, externalId: string): Promise<Instance | null>;
  /** External ids of a protocol's present instances whose engine app (`parameters.engine_app_name`) or project slug is `name`, oldest first. */
  abstract externalIdsNamed(origin: Protocol, name: string): Promise<string[]>;
  abstract updateInstance(id: string, patch: Partial<Instance>): Promise<void>;
  /**
   * Ids of the instances a resync reconciles in full: every one that is not settled, i.e. neither ready with its
   * desired state converged (and no note pending) nor disabled with its desired state converged.
   */
  abstract listUnsettledInstanceIds(): Promise<string[]>;
  /** The ready, converged instances (what resync checks in bulk against the upstreams' lists), with their last key check. */
  abstract listDriftCandidates(): Promise<DriftCandidate[]>;
  /** Records that resync verified these instances' keys upstream at `at`. */
  abstract markKeysChecked(ids: string[], at: Date): Promise<void>;
  /** Every instance of an app, all modules and environments (the app's upstream team is shared by them). */
  abstract findAppInstances(app: string): Promise<Instance[]>;
  /** The e-mails svc-sentry itself added to a team upstream (lower case): the only members it may remove. */
  abstract teamMembersAdded(upstream: string, team: string): Promise<string[]>;
  /** Records members svc-sentry added to a team upstream, and forgets those it removed (or no longer owns). */
  abstract recordTeamMembers(upstream: string, team: string, added: string[], removed: string[]): Promise<void>;
  /** Ready environments whose Secret location is recorded (what the Secret sweep checks). */
  abstract listSecretHolders(): Promise<Instance[]>;
  abstract listKeys(instanceId: string): Promise<Key[]>;
  abstract saveKey(k: Partial<Key> & Pick<Key, 'instanceId' | 'name'>): Promise<Key>;
  abstract getOperation(id: string): Promise<Operation | null>;
  abstract listOperations(app: string, offset: number, limit: number): Promise<Page<Operation>>;
  abstract openOperationsFor(instanceId: string): Promise<Operation[]>;
  /** The latest operation that touched the instance (with bindingId: of that binding; with null: not of a binding). */
  abstract latestOperationFor(instanceId: string, bindingId?: string | null): Promise<Operation | null>;
  /**
   * The latest operation a platform protocol made for its own instance id, not of a binding. Answers also after that
   * id's app/module/env was provisioned again under another id (the operation records the id it was made for).
   */
  abstract latestOperationByExternalId(protocol: Protocol, externalId: string): Promise<Operation | null>;
  /** Finishes operations still in progress with their verdicts (one already finished keeps its own). */
  abstract finishOperations(verdicts: Array<{ id: string; state: OperationState; description: string | null }>): Promise<void>;
}
