/**
 * Flow control's metrics under llm-d Router's names (pkg/epp/metrics/llm_d_router_metrics.go): queue size and
 * bytes per fairness id and priority, time in the queue by outcome, and requests by outcome. fairness_id comes
 * from clients: BoundedLabel caps its distinct values and folds the rest into "other".
 */
import type client from 'prom-client';
import type { FlowControlObserver } from '../flowcontrol/controller.ts';
import type { QueueOutcome, QueuedRequest } from '../flowcontrol/queued-request.ts';
import type { ReclamationObserver, RevocationOutcome } from '../flowcontrol/reclamation.ts';
import { BoundedLabel } from './bounded-label.ts';
import { LeanHistogram } from './lean-histogram.ts';
import { LeanScalar } from './lean-scalar.ts';

const QUEUE_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
const CYCLE_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];
const QUEUE_LABELS = ['fairness_id', 'priority', 'inference_pool', 'model_name', 'target_model_name'];

/** Upstream's outcome label values (flowcontrol/types/outcomes.go String()). */
const OUTCOME_LABEL: Record<QueueOutcome, string> = {
  dispatched: 'Dispatched',
  'rejected-capacity': 'RejectedCapacity',
  'evicted-ttl': 'EvictedTTL',
  'evicted-cancelled': 'EvictedContextCancelled',
  'evicted-shutdown': 'EvictedOther',
};

export class FlowControlMetrics implements FlowControlObserver, ReclamationObserver {
  readonly queueSize: LeanScalar;
  readonly queueBytes: LeanScalar;
  readonly queueDuration: LeanHistogram;
  readonly requests: LeanScalar;
  readonly enqueueDuration: LeanHistogram;
  readonly dispatchCycle: LeanHistogram;
  /** GIE's deprecated names of the two above (pkg/epp/metrics/metrics.go), observed together. */
  readonly legacyEnqueueDuration: LeanHistogram;
  readonly legacyDispatchCycle: LeanHistogram;
  /** flowControl.enableEviction: revocations issued (by demand priority) and how each ended. */
  readonly revocationsIssued: LeanScalar;
  readonly revocations: LeanScalar;
  /** The last sizing decision's deficit and the debits not yet released, in saturation units. */
  readonly reclaimTarget: LeanScalar;
  readonly pendingReclaim: LeanScalar;
  readonly #pool: string;
  readonly #flows: BoundedLabel;
  readonly #models = new BoundedLabel();

  constructor(registry: client.Registry, pool: string, maxFlowLabels = 100) {
    const registers = [registry];
    this.#pool = pool;
    this.#flows = new BoundedLabel(maxFlowLabels);
    this.queueSize = new LeanScalar('gauge', { name: 'llm_d_epp_flow_control_queue_size', help: 'Current number of requests actively held in the Flow Control queue.', labelNames: QUEUE_LABELS, registers });
    this.queueBytes = new LeanScalar('gauge', { name: 'llm_d_epp_flow_control_queue_bytes', help: 'Current total size in bytes of requests actively held in the Flow Control queue.', labelNames: QUEUE_LABELS, registers });
    this.queueDuration = new LeanHistogram({
      name: 'llm_d_epp_flow_control_request_queue_duration_seconds',
      help: 'Distribution of total time requests spend in the Flow Control layer (from enqueue to final outcome).',
      labelNames: ['fairness_id', 'priority', 'outcome', 'inference_pool', 'model_name', 'target_model_name'],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    const cycle = (name: string, help: string, labelNames: string[], legacyName: string): [LeanHistogram, LeanHistogram] => [
      new LeanHistogram({ name, help, labelNames, buckets: CYCLE_BUCKETS, registers }),
      new LeanHistogram({ name: legacyName, help: `[Deprecated: Use ${name}] ${help}`, labelNames, buckets: CYCLE_BUCKETS, registers }),
    ];
    [this.enqueueDuration, this.legacyEnqueueDuration] = cycle('llm_d_epp_flow_control_request_enqueue_duration_seconds', 'Distribution of time taken to enqueue requests into the Flow Control layer.', ['fairness_id', 'priority', 'outcome'], 'inference_extension_flow_control_request_enqueue_duration_seconds');
    [this.dispatchCycle, this.legacyDispatchCycle] = cycle('llm_d_epp_flow_control_dispatch_cycle_duration_seconds', 'Distribution of time taken for each internal dispatch cycle in the Flow Control layer.', [], 'inference_extension_flow_control_dispatch_cycle_duration_seconds');
    this.requests = new LeanScalar('counter', { name: 'llm_d_epp_flow_control_requests_total', help: 'Total number of requests processed by the Flow Control layer.', labelNames: ['outcome', 'priority', 'inference_pool'], registers });
    this.revocationsIssued = new LeanScalar('counter', { name: 'llm_d_epp_flow_control_revocations_issued_total', help: "Total number of in-flight eviction revocations issued, labeled by the demand band's priority.", labelNames: ['priority', 'inference_pool'], registers });
    this.revocations = new LeanScalar('counter', { name: 'llm_d_epp_flow_control_revocations_total', help: 'Total number of in-flight eviction revocations by terminal outcome (confirmed, timed_out). Every issued revocation eventually increments exactly one outcome.', labelNames: ['outcome', 'inference_pool'], registers });
    this.reclaimTarget = new LeanScalar('gauge', { name: 'llm_d_epp_flow_control_reclaim_target', help: 'Last computed reclamation deficit, in saturation-gauge units.', labelNames: ['inference_pool'], registers });
    this.pendingReclaim = new LeanScalar('gauge', { name: 'llm_d_epp_flow_control_pending_reclaim', help: 'Sum of outstanding and cooling pending-reclaim debits, in saturation-gauge units.', labelNames: ['inference_pool'], registers });
  }

  reclaimTargetIs(target: number): void {
    this.reclaimTarget.labels(this.#pool).set(target);
  }

  pendingReclaimIs(pending: number): void {
    this.pendingReclaim.labels(this.#pool).set(pending);
  }

  revoked(count: number, demandPriority: number): void {
    this.revocationsIssued.labels(String(demandPriority), this.#pool).inc(count);
  }

  revocationEnded(outcome: RevocationOutcome): void {
    this.revocations.labels(outcome, this.#pool).inc();
  }

  enqueued(item: QueuedRequest): void {
    const [flow, priority, model, target] = this.#labels(item);
    this.queueSize.labels(flow, priority, this.#pool, model, target).inc();
    this.queueBytes.labels(flow, priority, this.#pool, model, target).inc(item.bytes);
  }

  left(item: QueuedRequest, outcome: QueueOutcome, waitedMs: number): void {
    const [flow, priority, model, target] = this.#labels(item);
    if (item.queued) {
      this.queueSize.labels(flow, priority, this.#pool, model, target).dec();
      this.queueBytes.labels(flow, priority, this.#pool, model, target).dec(item.bytes);
    }
    const o = OUTCOME_LABEL[outcome];
    this.queueDuration.labels(flow, priority, o, this.#pool, model, target).observe(waitedMs / 1000);
    this.requests.labels(o, priority, this.#pool).inc();
  }

  enqueueTook(item: QueuedRequest, seconds: number): void {
    const flow = this.#flows.bound(item.flowId);
    const priority = String(item.priority);
    const outcome = item.outcome === null ? 'NotYetFinalized' : OUTCOME_LABEL[item.outcome];
    this.enqueueDuration.labels(flow, priority, outcome).observe(seconds);
    this.legacyEnqueueDuration.labels(flow, priority, outcome).observe(seconds);
  }

  dispatchCycleTook(seconds: number): void {
    this.dispatchCycle.observe(seconds);
    this.legacyDispatchCycle.observe(seconds);
  }

  #labels(item: QueuedRequest): [string, string, string, string] {
    return [this.#flows.bound(item.flowId), String(item.priority), this.#models.bound(item.model), this.#models.bound(item.targetModel)];
  }
}
