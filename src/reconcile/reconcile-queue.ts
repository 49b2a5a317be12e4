// The queue port sits with the instance store, which enqueues inside its transaction.
export { ReconcileQueue, SqlExecutor } from '../instances/reconcile-queue.port';

/** Port: mutual exclusion per instance across workers and replicas. */
export abstract class InstanceLocks {
  /**
   * Runs fn while holding the instance's lock; returns `busy` when another worker holds it.
   * `signal` aborts when the lock is lost mid-way (its connection died): fn must stop before its next step.
   */
  abstract withLock<T>(instanceId: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T | 'busy'>;
}
