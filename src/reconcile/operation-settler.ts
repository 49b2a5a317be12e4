import { InstanceStore } from '../instances/instance-store';
import { Instance, Operation } from '../instances/model';

/**
 * Finishes operations once every instance they wait for has settled at (or past) the generation
 * the operation asked for: succeeded when all converged, failed when one failed.
 */
export class OperationSettler {
  constructor(private readonly store: InstanceStore) {}

  async settle(instanceId: string): Promise<void> {
    for (const op of await this.store.openOperationsFor(instanceId)) {
      const verdict = await this.evaluate(op);
      if (verdict) await this.store.finishOperation(op.id, verdict.state, verdict.description);
    }
  }

  async evaluate(op: Operation): Promise<{ state: 'succeeded' | 'failed'; description: string | null } | null> {
    const failures: string[] = [];
    let superseded = false;
    for (const [id, generation] of Object.entries(op.instances)) {
      const inst = await this.store.getInstance(id);
      if (!inst) continue;
      if (inst.generation > generation) {
        superseded = true;
        continue;
      }
      if (inst.state === 'failed') failures.push(`${inst.env}: ${inst.error ?? 'failed'}`);
      else if (!settled(inst, generation)) return null;
    }
    if (failures.length) return { state: 'failed', description: failures.join('; ') };
    return { state: 'succeeded', description: superseded ? 'superseded by a later request for the same instance' : null };
  }
}

const settled = (i: Instance, generation: number) => i.observedGeneration >= generation && (i.state === 'ready' || i.state === 'disabled');
