import { Condition, CONDITION_TYPES, ConditionStatus, ConditionType } from './model';

/**
 * An environment's conditions as one pass of the reconciler changes them. `set` records a condition at the pass's
 * generation; `lastTransitionTime` moves only when the status changes. `changed` says whether anything needs writing.
 */
export class ConditionSet {
  private readonly list: Condition[];
  private dirty = false;

  constructor(
    current: Condition[] | null | undefined,
    private readonly generation: number,
    private readonly now: () => Date,
  ) {
    this.list = CONDITION_TYPES.map(
      (type) =>
        current?.find((c) => c.type === type) ?? {
          type,
          status: 'Unknown',
          reason: 'Pending',
          message: 'not checked yet',
          observedGeneration: generation,
          lastTransitionTime: now().toISOString(),
        },
    );
    if (!current || current.length !== this.list.length) this.dirty = true;
  }

  get(type: ConditionType): Condition {
    return this.list.find((c) => c.type === type)!;
  }

  set(type: ConditionType, status: ConditionStatus, reason: string, message: string): void {
    const i = this.list.findIndex((c) => c.type === type);
    const old = this.list[i];
    const next: Condition = {
      type,
      status,
      reason,
      message,
      observedGeneration: this.generation,
      lastTransitionTime: old.status === status ? old.lastTransitionTime : this.now().toISOString(),
    };
    if (old.status === next.status && old.reason === next.reason && old.message === next.message && old.observedGeneration === next.observedGeneration) return;
    this.list[i] = next;
    this.dirty = true;
  }

  /** A condition not decided in this pass because an earlier step failed: Unknown unless it was already known. */
  waiting(type: ConditionType, on: ConditionType): void {
    if (this.get(type).status === 'Unknown') this.set(type, 'Unknown', 'Waiting', `waiting for ${on}`);
  }

  get changed(): boolean {
    return this.dirty;
  }

  /** The conditions to store; marks them written. */
  take(): Condition[] {
    this.dirty = false;
    return this.list.map((c) => ({ ...c }));
  }
}
