/**
 * The order hooks run in: every producer of a data key before every consumer of it (upstream's data
 * producer DAG), otherwise config order. Computed once at config load; the director runs each hook list in
 * this order, so a consumer reads what its producers wrote for the same request.
 */
import type { Plugin } from '../framework/plugin.ts';

export interface HookOrder {
  /** Every plugin, producers before their consumers, config order among the rest. */
  readonly ordered: readonly Plugin[];
  /** Required keys no plugin produces, a dependency cycle: the config is invalid. */
  readonly problems: readonly string[];
  /** Optional keys no plugin produces. */
  readonly warnings: readonly string[];
}

export function orderHooks(plugins: readonly Plugin[]): HookOrder {
  const problems: string[] = [];
  const warnings: string[] = [];
  const producers = new Map<string, number[]>();
  plugins.forEach((p, i) => {
    for (const key of p.produces ?? []) {
      const list = producers.get(key);
      if (list === undefined) producers.set(key, [i]);
      else list.push(i);
    }
  });

  // after[i]: plugins that must run after plugin i.
  const after: number[][] = plugins.map(() => []);
  const before = new Array<number>(plugins.length).fill(0);
  plugins.forEach((p, i) => {
    const deps = p.consumes;
    if (deps === undefined) return;
    const link = (key: string, required: boolean) => {
      const from = producers.get(key);
      if (from === undefined) {
        const what = `plugin "${p.name}" (${p.type}) consumes "${key}", which no configured plugin produces`;
        if (required) problems.push(what);
        else warnings.push(what);
        return;
      }
      for (const j of from) {
        if (j === i || after[j]!.includes(i)) continue;
        after[j]!.push(i);
        before[i]!++;
      }
    };
    for (const key of deps.required ?? []) link(key, true);
    for (const key of deps.optional ?? []) link(key, false);
  });

  // Kahn's algorithm, always taking the earliest ready plugin in config order.
  const ordered: Plugin[] = [];
  const done = new Array<boolean>(plugins.length).fill(false);
  for (let round = 0; round < plugins.length; round++) {
    let next = -1;
    for (let i = 0; i < plugins.length; i++) {
      if (!done[i] && before[i] === 0) {
        next = i;
        break;
      }
    }
    if (next < 0) break;
    done[next] = true;
    ordered.push(plugins[next]!);
    for (const k of after[next]!) before[k]!--;
  }
  if (ordered.length < plugins.length) {
    const stuck = plugins.filter((_, i) => !done[i]).map((p) => `"${p.name}"`);
    problems.push(`plugins ${stuck.join(', ')} produce and consume each other's data (a cycle): no order runs each producer first`);
  }
  return { ordered, problems, warnings };
}
