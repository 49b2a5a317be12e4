/** Something that runs SQL inside the caller's transaction (pg-boss's `db` option). */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

/** Port: durable requests to converge instances. */
export abstract class ReconcileQueue {
  /** Enqueues one reconcile job per instance; at most one waits per instance. With `db`, inside that transaction. */
  abstract enqueue(instanceIds: string[], db?: SqlExecutor): Promise<void>;
}

/** Port: mutual exclusion per instance across workers and replicas. */
export abstract class InstanceLocks {
  /**
   * Runs fn while holding the instance's lock; returns `busy` when another worker holds it.
   * `signal` aborts when the lock is lost mid-way (its connection died): fn must stop before its next step.
   */
  abstract withLock<T>(instanceId: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T | 'busy'>;
}
