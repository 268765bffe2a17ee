/**
 * The per-request series of one (model, target, fairness id, priority), legacy and canonical, resolved once and
 * cached by PickerMetrics.forRequest: the request path does no label hashing after the first request of a kind.
 */
import type { LeanHistogram, LeanHistogramChild } from './lean-histogram.ts';
import type { LeanScalarChild } from './lean-scalar.ts';
import type { ModelLoad } from './autoscaling-gauges.ts';
import type { PickerMetrics } from './metrics.ts';

/** A legacy family and its canonical llm_d_epp_* twin, observed together. */
export class DualHistogramChild {
  readonly #a: LeanHistogramChild;
  readonly #b: LeanHistogramChild;
  constructor(a: LeanHistogramChild, b: LeanHistogramChild) {
    this.#a = a;
    this.#b = b;
  }
  observe(v: number): void {
    this.#a.observe(v);
    this.#b.observe(v);
  }
}

/** Token counts and timings of one finished response. */
export interface ServedRequest {
  seconds: number;
  bytes: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** Seconds to the first response byte; < 0 when unknown. */
  ttftSeconds: number;
  streaming: boolean;
  /** Usage was found in the response. */
  usage: boolean;
}

/** The series of one (model, target, fairness id, priority), legacy and canonical, resolved once. */
export class RequestMetrics {
  readonly #requests: LeanScalarChild;
  readonly #requestsL: LeanScalarChild;
  readonly #running: LeanScalarChild;
  readonly #runningL: LeanScalarChild;
  readonly #requestSize: LeanHistogramChild;
  readonly #requestSizeL: LeanHistogramChild;
  readonly #m: PickerMetrics;
  readonly #labels: readonly string[];
  /** In-flight count of the target model (autoscaling-gauges.ts). */
  readonly #load: ModelLoad;
  /** The completion-time children, resolved on first completion. */
  #done: CompletionChildren | null = null;

  constructor(m: PickerMetrics, labels: readonly string[]) {
    const [model, target, fairness, priority] = labels as [string, string, string, string];
    this.#m = m;
    this.#labels = labels;
    this.#requests = m.requestTotal.labels(model, target, fairness, priority);
    this.#requestsL = m.legacy.requestTotal.labels(model, target, priority);
    this.#running = m.running.labels(model, target, fairness, priority);
    this.#runningL = m.legacy.running.labels(model);
    this.#requestSize = m.requestSize.labels(model, target, fairness, priority);
    this.#requestSizeL = m.legacy.requestSize.labels(model, target);
    this.#load = m.autoscaling.load(target, model);
  }

  /** The request was routed: counted, its size observed, running +1. */
  routed(bodyBytes: number): void {
    this.#requests.inc();
    this.#requestsL.inc();
    this.#requestSize.observe(bodyBytes);
    this.#requestSizeL.observe(bodyBytes);
    this.#load.inflight++;
    if (this.#labels[0] !== '') {
      this.#running.inc();
      this.#runningL.inc();
    }
  }

  /** The routed request ended, however it ended: running -1. */
  released(): void {
    this.#load.inflight--;
    if (this.#labels[0] !== '') {
      this.#running.dec();
      this.#runningL.dec();
    }
  }

  /** A response reached the client: latency, sizes, tokens (as upstream's Record* functions decide). */
  served(s: ServedRequest): void {
    const d = (this.#done ??= new CompletionChildren(this.#m, this.#labels));
    d.duration.observe(s.seconds);
    d.responseSize.observe(s.bytes);
    if (s.ttftSeconds > 0) d.ttft(s.streaming).observe(s.ttftSeconds);
    if (!s.usage) return;
    if (s.promptTokens > 0) d.inputTokens.observe(s.promptTokens);
    if (s.completionTokens > 0) {
      d.outputTokens.observe(s.completionTokens);
      d.ntpot.observe(s.seconds / s.completionTokens);
    }
    d.cachedTokens.observe(s.cachedTokens);
    if (s.streaming && s.completionTokens > 1 && s.ttftSeconds > 0 && s.seconds > s.ttftSeconds) {
      d.tpot.observe((s.seconds - s.ttftSeconds) / (s.completionTokens - 1));
    }
  }
}

class CompletionChildren {
  readonly duration: DualHistogramChild;
  readonly responseSize: DualHistogramChild;
  readonly inputTokens: DualHistogramChild;
  readonly outputTokens: DualHistogramChild;
  readonly cachedTokens: DualHistogramChild;
  readonly ntpot: DualHistogramChild;
  readonly tpot: LeanHistogramChild;
  readonly #ttft: LeanHistogramChild;
  readonly #ttftStreaming: LeanHistogramChild;

  constructor(m: PickerMetrics, labels: readonly string[]) {
    const [model, target, fairness, priority] = labels as [string, string, string, string];
    const l = m.legacy;
    const dual = (legacy: LeanHistogram, canonical: LeanHistogram) => new DualHistogramChild(legacy.labels(model, target), canonical.labels(model, target, fairness, priority));
    this.duration = dual(l.duration, m.duration);
    this.responseSize = dual(l.responseSize, m.responseSize);
    this.inputTokens = dual(l.inputTokens, m.inputTokens);
    this.outputTokens = dual(l.outputTokens, m.outputTokens);
    this.cachedTokens = dual(l.cachedTokens, m.cachedTokens);
    this.ntpot = dual(l.ntpot, m.ntpot);
    this.tpot = m.tpot.labels(model, target, fairness, priority);
    this.#ttft = m.ttft.labels(model, target, fairness, priority, 'false');
    this.#ttftStreaming = m.ttft.labels(model, target, fairness, priority, 'true');
  }

  ttft(streaming: boolean): LeanHistogramChild {
    return streaming ? this.#ttftStreaming : this.#ttft;
  }
}

/** The GIE-named aliases of the per-request families. */
