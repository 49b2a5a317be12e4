import { InstanceStore } from '../instances/instance-store';
import { Instance, Operation } from '../instances/model';

/**
 * Finishes operations once every instance they wait for has settled at (or past) the generation
 * the operation asked for: succeeded when all converged, failed when one failed.
 */
export class OperationSettler {
  constructor(private readonly store: InstanceStore) {}

  /** Every open operation of the instance that can be decided now is finished: one read of their instances, one write. */
  async settle(instanceId: string): Promise<void> {
    const ops = await this.store.openOperationsFor(instanceId);
    if (!ops.length) return;
    const instances = new Map((await this.store.getInstances([...new Set(ops.flatMap((op) => Object.keys(op.instances)))])).map((i) => [i.id, i]));
    const verdicts = ops.flatMap((op) => {
      const verdict = this.verdict(op, instances);
      return verdict ? [{ id: op.id, ...verdict }] : [];
    });
    await this.store.finishOperations(verdicts);
  }

  private verdict(op: Operation, instances: Map<string, Instance>): { state: 'succeeded' | 'failed'; description: string | null } | null {
    const failures: string[] = [];
    let superseded = false;
    for (const [id, generation] of Object.entries(op.instances)) {
      const inst = instances.get(id);
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
