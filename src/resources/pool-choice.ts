/**
 * Whether a resources file gives the picker exactly one pool to serve. A file that does not (no pool, several
 * pools and no --pool-name, or no pool with that name) is rejected with a message that says what to change,
 * instead of leaving the picker silently unready.
 */
import type { PoolSpec } from '../datastore/resources.ts';

/** Returns a problem text, or undefined when the choice is clear. Matches Datastore's pool selection by name. */
export function poolChoiceProblem(pools: readonly PoolSpec[], poolName: string): string | undefined {
  const names = pools.map((p) => `${p.namespace}/${p.name}`).join(', ');
  if (poolName) {
    if (pools.some((p) => p.name === poolName)) return undefined;
    return pools.length === 0
      ? `no InferencePool in the file, and the picker serves pool "${poolName}": add an InferencePool named "${poolName}"`
      : `no InferencePool named "${poolName}" (the file has ${names}): fix the pool name or the InferencePool's metadata.name`;
  }
  if (pools.length === 1) return undefined;
  if (pools.length === 0) return 'no InferencePool in the file: add one, or select endpoints with an endpoint selector instead';
  return `the file has ${pools.length} InferencePools (${names}) and no pool name is selected: pass the pool name to serve`;
}
