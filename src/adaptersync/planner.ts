/**
 * What the adapter syncer should load and unload, from the wanted placement and what each server holds. Pure:
 * no I/O, no clock; syncer.ts applies the result.
 *
 * Wanted replicas of an adapter (wantedReplicas): its share of its rule's weight times the server count, rounded
 * up, at least 1 while its weight is above 0, so a new version staged with a small weight is warm on one server
 * before its share grows. A target with weight 0 (InferenceModel allows it) that never had traffic is staged
 * (1 replica); one that had traffic is retired, as is an adapter no resource names any more (0 replicas). An adapter is unloaded from a server only when no request for it runs or waits there
 * (its traffic is gone), and only adapters the syncer manages (named by a resource now or before) are touched.
 * A server never gets more adapters than its slots (max_lora); loads go to the servers with the fewest adapters,
 * then the shortest queue.
 */

export interface ServerState {
  key: string;
  /** Adapter slots (max_lora); 0 = unknown, nothing is loaded there. */
  slots: number;
  /** Resident adapters, plus those being loaded by a call in flight. */
  loaded: ReadonlySet<string>;
  /** Adapters with requests running or waiting on the server. */
  busy: ReadonlySet<string>;
  waitingQueue: number;
}

export interface Action {
  op: 'load' | 'unload';
  server: string;
  adapter: string;
}

export interface WeightedTarget {
  adapter: string;
  weight: number;
}

/**
 * Replicas wanted per adapter for rules of weighted targets over `servers` servers. `live` remembers targets that
 * ever had weight > 0 (updated here), so that weight 0 tells a staged adapter from a retired one.
 */
export function wantedReplicas(rules: readonly (readonly WeightedTarget[])[], servers: number, live: Set<string>): Map<string, number> {
  const wanted = new Map<string, number>();
  const want = (a: string, n: number) => wanted.set(a, Math.max(wanted.get(a) ?? 0, Math.min(servers, n)));
  for (const targets of rules) {
    let total = 0;
    for (const t of targets) total += Math.max(0, t.weight);
    for (const t of targets) {
      if (t.weight > 0 && total > 0) {
        live.add(t.adapter);
        want(t.adapter, Math.max(1, Math.ceil((t.weight / total) * servers)));
      } else {
        want(t.adapter, live.has(t.adapter) ? 0 : 1);
      }
    }
  }
  return wanted;
}

/** Loads and unloads that move `servers` toward `wanted`; `managed` = adapters the syncer may unload. */
export function planActions(servers: readonly ServerState[], wanted: ReadonlyMap<string, number>, managed: ReadonlySet<string>): Action[] {
  const actions: Action[] = [];
  // Working copy of each server's adapter set, updated as actions are planned.
  const held = new Map(servers.map((s) => [s.key, new Set(s.loaded)]));
  const holders = (a: string) => servers.filter((s) => held.get(s.key)!.has(a));

  // 1. Unload what is retired or over-replicated, where its traffic is gone (busiest servers shed first).
  for (const a of managed) {
    const want = wanted.get(a) ?? 0;
    const have = holders(a).sort((x, y) => y.waitingQueue - x.waitingQueue);
    let extra = have.length - want;
    for (const s of have) {
      if (extra <= 0) break;
      if (s.busy.has(a)) continue;
      held.get(s.key)!.delete(a);
      actions.push({ op: 'unload', server: s.key, adapter: a });
      extra--;
    }
  }

  // 2. Load what is under-replicated, into free slots, least-loaded servers first.
  for (const [a, want] of wanted) {
    let missing = want - holders(a).length;
    if (missing <= 0) continue;
    const free = servers
      .filter((s) => !held.get(s.key)!.has(a) && held.get(s.key)!.size < s.slots)
      .sort((x, y) => held.get(x.key)!.size - held.get(y.key)!.size || x.waitingQueue - y.waitingQueue || (x.key < y.key ? -1 : 1));
    for (const s of free) {
      if (missing <= 0) break;
      held.get(s.key)!.add(a);
      actions.push({ op: 'load', server: s.key, adapter: a });
      missing--;
    }
    // 3. No free slot left: take one from a managed adapter that stays better served after giving it up.
    while (missing > 0) {
      const swap = displaceable(servers, held, wanted, managed, a);
      if (!swap) break;
      held.get(swap.server)!.delete(swap.adapter);
      held.get(swap.server)!.add(a);
      actions.push({ op: 'unload', server: swap.server, adapter: swap.adapter }, { op: 'load', server: swap.server, adapter: a });
      missing--;
    }
  }
  return actions;
}

/**
 * A (server, adapter b) whose slot `a` may take: b is managed, idle there and keeps a replica elsewhere, and
 * either `a` has none yet (every wanted adapter gets one first) or b, one replica down, is still served at least
 * as well as `a` one replica up (have / want); so two adapters never take a slot back and forth.
 */
function displaceable(servers: readonly ServerState[], held: Map<string, Set<string>>, wanted: ReadonlyMap<string, number>, managed: ReadonlySet<string>, a: string): { server: string; adapter: string } | undefined {
  const count = (x: string) => servers.filter((s) => held.get(s.key)!.has(x)).length;
  const haveA = count(a);
  const wantA = wanted.get(a) ?? 0;
  for (const s of servers) {
    const h = held.get(s.key)!;
    if (h.has(a) || s.slots === 0) continue;
    for (const b of h) {
      if (!managed.has(b) || s.busy.has(b)) continue;
      const haveB = count(b);
      if (haveB < 2) continue;
      const wantB = Math.max(1, wanted.get(b) ?? 0);
      if (haveA === 0 || (haveB - 1) / wantB >= (haveA + 1) / wantA) return { server: s.key, adapter: b };
    }
  }
  return undefined;
}
