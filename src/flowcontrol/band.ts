/** A priority band: its flows (created on first use, dropped when empty), bounds and policies. */
import type { BandFairness, BandUsageLimit, FairnessPolicy, FlowQueueView, OrderingPolicy } from '../framework/flowcontrol.ts';
import { Flow } from './flow.ts';
import type { QueuedRequest } from './queued-request.ts';

export interface BandSettings {
  readonly maxRequests: number;
  readonly maxBytes: number;
  /** The band's TTL (0 = the controller's default). */
  readonly ttlMs: number;
  readonly fairness: FairnessPolicy;
  readonly ordering: OrderingPolicy;
}


export class Band {
  readonly priority: number;
  readonly settings: BandSettings;
  readonly #fairness: BandFairness;
  readonly #flows = new Map<string, Flow>();
  /** The non-empty flows, for the fairness policy. */
  readonly active: Flow[] = [];
  requests = 0;
  bytes = 0;
  /** Per-flow usage-limit state, when the usage-limit policy has one (set by the controller). */
  usageLimit: BandUsageLimit | null = null;
  readonly #open: Flow[] = [];

  constructor(priority: number, settings: BandSettings) {
    this.priority = priority;
    this.settings = settings;
    this.#fairness = settings.fairness.newBand();
  }

  fits(bytes: number): boolean {
    return this.requests + 1 <= this.settings.maxRequests && this.bytes + bytes <= this.settings.maxBytes;
  }

  add(item: QueuedRequest): Flow {
    let flow = this.#flows.get(item.flowId);
    if (flow === undefined) {
      flow = new Flow(item.flowId, this.settings.ordering.before);
      this.#flows.set(item.flowId, flow);
    }
    if (flow.length === 0) {
      flow.activeIndex = this.active.length;
      this.active.push(flow);
      this.#fairness.activated?.(flow);
    }
    flow.push(item);
    item.flow = flow;
    this.requests++;
    this.bytes += item.bytes;
    return flow;
  }

  remove(item: QueuedRequest): void {
    const flow = item.flow;
    if (flow === null || !flow.remove(item)) return;
    this.requests--;
    this.bytes -= item.bytes;
    if (flow.length === 0) this.#retire(flow);
  }

  /** The next item by fairness then ordering, taken out of its flow, ungated (a capacity victim); undefined when the band is empty. */
  take(): QueuedRequest | undefined {
    return this.active.length === 0 ? undefined : this.#takeFrom(this.active, null);
  }

  /** take() among the flows the usage limit leaves open at `saturation`; undefined when none is. */
  takeGated(saturation: number, nowMs: number): QueuedRequest | undefined {
    if (this.active.length === 0) return undefined;
    const flows = this.usageLimit === null ? this.active : this.#openFlows(this.usageLimit, saturation, nowMs);
    return flows.length === 0 ? undefined : this.#takeFrom(flows, nowMs);
  }

  /** `dispatchedAt` null = not a dispatch (the usage limit does not count it). */
  #takeFrom(flows: readonly FlowQueueView[], dispatchedAt: number | null): QueuedRequest {
    const flow = this.#fairness.pick(flows, this.settings.ordering.before) as Flow;
    const item = flow.head()!;
    this.#fairness.dispatched?.(flow, item);
    if (dispatchedAt !== null) this.usageLimit?.dispatched(flow, item, dispatchedAt);
    this.remove(item);
    return item;
  }

  /** The active flows whose ceiling is above the saturation (the fairness policy picks among these). */
  #openFlows(limit: BandUsageLimit, saturation: number, nowMs: number): readonly FlowQueueView[] {
    const open = this.#open;
    open.length = 0;
    for (const f of this.active) if (saturation < limit.flowCeiling(f, nowMs)) open.push(f);
    return open;
  }

  /** An empty flow leaves the active list (swap-remove) and the map: client-made flow ids cannot pile up. */
  #retire(flow: Flow): void {
    const last = this.active.pop()!;
    if (last !== flow) {
      this.active[flow.activeIndex] = last;
      last.activeIndex = flow.activeIndex;
    }
    flow.activeIndex = -1;
    this.#flows.delete(flow.flowId);
  }
}
