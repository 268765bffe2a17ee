/**
 * Flow control in virtual time: a fleet of slot-limited model servers (each runs `slots` requests at once and
 * queues the rest itself, as vLLM's waiting queue does), tenants with Poisson arrivals, and either no flow
 * control (today: route at once, shed sheddable traffic when saturated) or the production FlowController with
 * a fairness policy, driven by one event heap. Service time = prompt tokens x prefill cost + output tokens x
 * decode cost, lengths drawn +-50% around each tenant's mean; concurrent requests on a server do not slow each other (a simplification: the point is where
 * requests wait, not engine physics).
 */
import type { FairnessPolicy, UsageLimitPolicy } from '../../src/framework/flowcontrol.ts';
import { FlowController } from '../../src/flowcontrol/controller.ts';
import { IndexedHeap } from '../../src/flowcontrol/heap.ts';
import type { TimerHost } from '../../src/flowcontrol/timers.ts';
import { createFcfsOrderingPolicy } from '../../src/plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { Rng } from '../sim/rng.ts';

export interface Tenant {
  readonly name: string;
  readonly priority: number;
  readonly ratePerS: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

export interface SimSetup {
  readonly servers: number;
  readonly slots: number;
  readonly prefillMsPerToken: number;
  readonly decodeMsPerToken: number;
  readonly durationS: number;
  readonly tenants: readonly Tenant[];
  readonly seed: number;
  /** null = no flow control (legacy admission). */
  readonly fairness: FairnessPolicy | null;
  /** flowControl.usageLimitPolicyPluginRef; undefined = upstream's default (no gating). */
  readonly usageLimit?: UsageLimitPolicy | undefined;
  readonly ttlMs: number;
  /** TTFT at or under this counts toward goodput. */
  readonly sloTtftMs: number;
}

export interface TenantResult {
  readonly name: string;
  readonly offered: number;
  readonly completed: number;
  readonly rejected: number;
  readonly goodputPerS: number;
  readonly p90TtftMs: number;
  /** Time from arrival to a server slot (picker queue + server queue). */
  readonly p90WaitMs: number;
  /** Prompt tokens served per second, in all and within the TTFT objective. */
  readonly servedTokensPerS: number;
  readonly goodTokensPerS: number;
  readonly offeredTokensPerS: number;
  /** All TTFTs (ms), sorted: for band-wide percentiles. */
  readonly ttfts: readonly number[];
}

interface Event {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
  index: number;
}

/** The event loop: a heap of timed callbacks; also the FlowController's clock and timers. */
class EventLoop implements TimerHost {
  t = 0;
  #seq = 0;
  readonly #heap = new IndexedHeap<Event>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
    (e) => e.index,
    (e, i) => {
      e.index = i;
    },
  );
  now(): number {
    return this.t;
  }
  set(fn: () => void, delayMs: number): unknown {
    const e: Event = { at: this.t + Math.max(0, delayMs), seq: ++this.#seq, fn, live: true, index: -1 };
    this.#heap.push(e);
    return e;
  }
  cancel(h: unknown): void {
    this.#heap.remove(h as Event);
  }
  run(): void {
    for (let e = this.#heap.pop(); e !== undefined; e = this.#heap.pop()) {
      this.t = e.at;
      e.fn();
    }
  }
}

interface Req {
  tenant: number;
  promptTokens: number;
  outputTokens: number;
  arrivedAt: number;
  ttftMs: number;
  waitMs: number;
}

export function simulate(s: SimSetup): TenantResult[] {
  const loop = new EventLoop();
  const rng = new Rng(s.seed);
  const inflight = new Array<number>(s.servers).fill(0);
  const waiting: Req[][] = Array.from({ length: s.servers }, () => []);
  let total = 0;
  const capacity = s.servers * s.slots;
  const ttfts: number[][] = s.tenants.map(() => []);
  const tokens = s.tenants.map(() => ({ offered: 0, served: 0, good: 0 }));
  const waits: number[][] = s.tenants.map(() => []);
  const offered = s.tenants.map(() => 0);
  const rejected = s.tenants.map(() => 0);

  const start = (server: number, r: Req): void => {
    const prefill = r.promptTokens * s.prefillMsPerToken;
    r.ttftMs = loop.t + prefill - r.arrivedAt;
    r.waitMs = loop.t - r.arrivedAt;
    waits[r.tenant]!.push(r.waitMs);
    loop.set(() => {
      ttfts[r.tenant]!.push(r.ttftMs);
      tokens[r.tenant]!.served += r.promptTokens;
      if (r.ttftMs <= s.sloTtftMs) tokens[r.tenant]!.good += r.promptTokens;
      inflight[server]!--;
      total--;
      const next = waiting[server]!.shift();
      if (next !== undefined) start(server, next);
      fc?.dispatch(); // a completion frees capacity
    }, prefill + r.outputTokens * s.decodeMsPerToken);
  };
  const route = (r: Req): void => {
    let best = 0;
    for (let i = 1; i < s.servers; i++) if (inflight[i]! < inflight[best]!) best = i;
    inflight[best]!++;
    total++;
    if (inflight[best]! <= s.slots) start(best, r);
    else waiting[best]!.push(r);
  };
  const fc =
    s.fairness === null
      ? null
      : new FlowController({
          clock: loop,
          timers: loop,
          canDispatch: () => total < capacity,
          saturation: () => total / capacity,
          usageLimit: s.usageLimit,
          bandSettings: () => ({ maxRequests: 5000, maxBytes: 1e9, ttlMs: 0, fairness: s.fairness!, ordering: createFcfsOrderingPolicy('fcfs') }),
          maxRequests: Infinity,
          maxBytes: Infinity,
          defaultTtlMs: s.ttlMs,
        });

  s.tenants.forEach((t, i) => {
    const end = s.durationS * 1000;
    for (let at = rng.exponential(1000 / t.ratePerS); at < end; at += rng.exponential(1000 / t.ratePerS)) {
      loop.set(() => {
        offered[i]!++;
        // Lengths vary +-50% around the tenant's mean (fixed lengths make slot releases arrive in lockstep).
        const r: Req = { tenant: i, promptTokens: Math.round(t.promptTokens * (0.5 + rng.next())), outputTokens: Math.round(t.outputTokens * (0.5 + rng.next())), arrivedAt: loop.t, ttftMs: -1, waitMs: -1 };
        tokens[i]!.offered += r.promptTokens;
        if (fc === null) {
          // Legacy admission: sheddable traffic is refused while the pool is saturated; the rest goes at once.
          if (t.priority < 0 && total >= capacity) rejected[i]!++;
          else route(r);
          return;
        }
        if (fc.canBypass()) return route(r);
        fc.enqueue({ flowId: t.name, priority: t.priority, bytes: r.promptTokens * 4, tokens: r.promptTokens, ttlMs: 0, sloTtftMs: 0, model: '', targetModel: '' }, (outcome) => {
          if (outcome === 'dispatched') route(r);
          else rejected[i]!++;
        });
      }, at);
    }
  });
  loop.run();

  return s.tenants.map((t, i) => {
    const x = ttfts[i]!.sort((a, b) => a - b);
    return {
      name: t.name,
      offered: offered[i]!,
      completed: x.length,
      rejected: rejected[i]!,
      goodputPerS: x.filter((v) => v <= s.sloTtftMs).length / s.durationS,
      p90TtftMs: p90(x),
      p90WaitMs: p90(waits[i]!.sort((a, b) => a - b)),
      servedTokensPerS: tokens[i]!.served / s.durationS,
      goodTokensPerS: tokens[i]!.good / s.durationS,
      offeredTokensPerS: tokens[i]!.offered / s.durationS,
      ttfts: x,
    };
  });
}

export function p90(sorted: readonly number[]): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(0.9 * sorted.length))]!;
}

/** Jain's fairness index: (sum x)^2 / (n sum x^2); 1 = equal. */
export function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const sq = xs.reduce((a, b) => a + b * b, 0);
  return sq === 0 ? 1 : (sum * sum) / (xs.length * sq);
}

/**
 * Max-min fair shares of `capacity` for these demands (water-filling): a tenant asking less than an equal
 * split gets its demand, the rest split the remainder.
 */
export function maxMinShares(demands: readonly number[], capacity: number): number[] {
  const share = demands.map(() => 0);
  let left = capacity;
  let open = demands.map((_, i) => i);
  while (open.length > 0 && left > 1e-9) {
    const each = left / open.length;
    const small = open.filter((i) => demands[i]! - share[i]! <= each);
    if (small.length === 0) {
      for (const i of open) share[i]! += each;
      break;
    }
    for (const i of small) {
      left -= demands[i]! - share[i]!;
      share[i] = demands[i]!;
    }
    open = open.filter((i) => !small.includes(i));
  }
  return share;
}
