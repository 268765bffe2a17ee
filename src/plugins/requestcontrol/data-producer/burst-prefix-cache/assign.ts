/**
 * The joint placement of one burst window (upstream burstprefix/assign.go, same rules and order): requests with
 * an identical prefix form a group; groups of two or more are placed first and kept whole (up to maxPerReplica
 * per replica), then single requests sharing at least minColocateBlocks leading blocks with another request;
 * longest prefix first; a unit prefers the replica already holding the longest shared prefix while that replica
 * is under its fair share of the batch, else the least-loaded replica (batch load, then running requests, then
 * name).
 */

/** maxPerReplica sentinel: a whole group goes to one replica. */
export const UNLIMITED_PER_REPLICA = -1;

/** A replica as placement sees it. */
export interface Replica {
  readonly key: string;
  readonly runningRequests: number;
}

/** One request collected into a window; `assigned` is filled when the window seals (null = no affinity). */
export interface BurstEntry {
  /** Chained block hashes of the prompt: equal leading hashes mean an equal leading prefix. */
  readonly hashes: readonly number[];
  readonly replicas: readonly Replica[];
  assigned: Replica | null;
}

/** Placement rules of one window. */
export interface AssignOptions {
  readonly maxPerReplica: number;
  readonly minColocateBlocks: number;
  readonly balanceByTokens: boolean;
}

const prefixKey = (hashes: readonly number[], n: number): string => hashes.slice(0, n).join(',');

/** Groups of identical prefixes, in arrival order; prefix-less requests are never grouped. */
function groupsOf(entries: readonly BurstEntry[]): Map<string, BurstEntry[]> {
  const groups = new Map<string, BurstEntry[]>();
  for (const e of entries) {
    if (e.hashes.length === 0) continue;
    const key = prefixKey(e.hashes, e.hashes.length);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [e]);
    else g.push(e);
  }
  return groups;
}

/** Group keys whose requests share >= min leading blocks with some other request of the batch. */
function sharedPrefixKeys(groups: Map<string, BurstEntry[]>, min: number): Set<string> {
  const shared = new Set<string>();
  if (min <= 0) return shared;
  const count = new Map<string, number>();
  const sig = new Map<string, string>();
  for (const [key, members] of groups) {
    const hashes = members[0]!.hashes;
    if (hashes.length < min) continue;
    const s = prefixKey(hashes, min);
    sig.set(key, s);
    count.set(s, (count.get(s) ?? 0) + members.length);
  }
  for (const [key, s] of sig) if ((count.get(s) ?? 0) >= 2) shared.add(key);
  return shared;
}

/** Which replicas hold each block placed so far; a whole prefix is added at once, so block i implies 0..i. */
class BatchIndex {
  readonly #holders = new Map<number, Set<string>>();
  add(hashes: readonly number[], replica: string): void {
    for (const h of hashes) {
      let s = this.#holders.get(h);
      if (s === undefined) this.#holders.set(h, (s = new Set()));
      s.add(replica);
    }
  }
  /** Per replica, the leading blocks of `hashes` it holds. */
  longestPrefix(hashes: readonly number[]): Map<string, number> {
    const res = new Map<string, number>();
    for (const h of hashes) {
      const holders = this.#holders.get(h);
      if (holders === undefined || holders.size === 0) break;
      for (const name of holders) res.set(name, (res.get(name) ?? 0) + 1);
    }
    return res;
  }
}

/** Steers every entry of one window: fills `assigned`. */
export function assign(entries: readonly BurstEntry[], opts: AssignOptions): void {
  const groups = groupsOf(entries);
  let replicas: readonly Replica[] = [];
  for (const e of entries) {
    if (e.hashes.length > 0) {
      replicas = e.replicas;
      break;
    }
  }
  if (replicas.length === 0) return;
  const shared = sharedPrefixKeys(groups, opts.minColocateBlocks);
  const groupUnits: string[] = [];
  const singleUnits: string[] = [];
  const blocks = new Map<string, number>();
  for (const [key, members] of groups) {
    if (members.length >= 2) groupUnits.push(key);
    else if (shared.has(key)) singleUnits.push(key);
    else continue;
    blocks.set(key, members[0]!.hashes.length);
  }
  if (groupUnits.length === 0 && singleUnits.length === 0) return;
  // Longest prefix first (stable): a longer prefix seeds more blocks for shorter units to match.
  const byLength = (a: string, b: string): number => blocks.get(b)! - blocks.get(a)!;
  groupUnits.sort(byLength);
  singleUnits.sort(byLength);
  let total = 0;
  for (const [key, n] of blocks) total += opts.balanceByTokens ? n : groups.get(key)!.length;
  const place: Placement = {
    replicas,
    opts,
    maxShare: Math.ceil(total / replicas.length),
    index: new BatchIndex(),
    load: new Map(),
  };
  for (const key of groupUnits) placeUnit(groups.get(key)!, blocks.get(key)!, place);
  for (const key of singleUnits) placeUnit(groups.get(key)!, blocks.get(key)!, place);
}

interface Placement {
  readonly replicas: readonly Replica[];
  readonly opts: AssignOptions;
  /** Fair share of the batch per replica (ceil), in requests or blocks. */
  readonly maxShare: number;
  readonly index: BatchIndex;
  /** Batch load per replica: requests, or prefix blocks still to prefill under token balancing. */
  readonly load: Map<string, number>;
}

/** Places one unit; only its first (primary) replica gets the shared-prefix preference. */
function placeUnit(members: BurstEntry[], cost: number, p: Placement): void {
  const { opts, load } = p;
  const k = opts.maxPerReplica;
  const hashes = members[0]!.hashes;
  let preferMatch = opts.minColocateBlocks > 0;
  const matches = preferMatch || opts.balanceByTokens ? p.index.longestPrefix(hashes) : new Map<string, number>();
  const perReplica = new Map<string, number>();
  let i = 0;
  while (i < members.length) {
    const target = pickReplica(p, perReplica, matches, preferMatch);
    const name = target.key;
    let run = members.length - i;
    if (k !== UNLIMITED_PER_REPLICA) {
      // Overflow (more members than k x replicas): place one and rebalance.
      const capLeft = Math.max(1, k - (perReplica.get(name) ?? 0));
      if (capLeft < run) run = capLeft;
    }
    for (let j = 0; j < run; j++) members[i + j]!.assigned = target;
    const firstTouch = (perReplica.get(name) ?? 0) === 0;
    perReplica.set(name, (perReplica.get(name) ?? 0) + run);
    if (!opts.balanceByTokens) load.set(name, (load.get(name) ?? 0) + run);
    // Token balancing charges the prefix once per replica, less the leading blocks already prefilled there.
    else if (firstTouch) load.set(name, (load.get(name) ?? 0) + Math.max(0, cost - (matches.get(name) ?? 0)));
    i += run;
    preferMatch = false;
  }
  for (const m of members) if (m.assigned !== null) p.index.add(hashes, m.assigned.key);
}

function pickReplica(p: Placement, perReplica: Map<string, number>, matches: Map<string, number>, preferMatch: boolean): Replica {
  const k = p.opts.maxPerReplica;
  const full = (r: Replica): boolean => k !== UNLIMITED_PER_REPLICA && (perReplica.get(r.key) ?? 0) >= k;
  if (preferMatch) {
    let best: Replica | null = null;
    let bestMatch = 0;
    for (const r of p.replicas) {
      if (full(r) || (p.load.get(r.key) ?? 0) >= p.maxShare) continue; // the fair share stops a stampede
      const m = matches.get(r.key) ?? 0;
      if (m < p.opts.minColocateBlocks) continue;
      if (best === null || m > bestMatch || (m === bestMatch && less(r, best, p.load))) {
        best = r;
        bestMatch = m;
      }
    }
    if (best !== null) return best;
  }
  let best: Replica | null = null;
  for (const r of p.replicas) if (!full(r) && (best === null || less(r, best, p.load))) best = r;
  if (best !== null) return best;
  for (const r of p.replicas) if (best === null || less(r, best, p.load)) best = r;
  return best!;
}

/** Lower batch load, then fewer running requests, then the lower key. */
function less(a: Replica, b: Replica, load: Map<string, number>): boolean {
  const la = load.get(a.key) ?? 0;
  const lb = load.get(b.key) ?? 0;
  if (la !== lb) return la < lb;
  if (a.runningRequests !== b.runningRequests) return a.runningRequests < b.runningRequests;
  return a.key < b.key;
}
