/** Something that runs SQL inside the caller's transaction (pg-boss's `db` option). */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Port: durable requests to converge instances. Declared here because the instance store enqueues inside its
 * own transaction; the reconcile folder implements it (pg-boss) and consumes the jobs.
 */
export abstract class ReconcileQueue {
  /** Enqueues one reconcile job per instance; at most one waits per instance. With `db`, inside that transaction. */
  abstract enqueue(instanceIds: string[], db?: SqlExecutor): Promise<void>;
}
