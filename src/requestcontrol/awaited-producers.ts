/**
 * The DataProducer list when one of them asks to be awaited (AsyncDataProducer, e.g. a latency-prediction
 * sidecar): before the synchronous cycle, the producers run in order up to the last async one, each async
 * producer's prepare() awaited for at most its budget (upstream: each producer under its own timeout). Then the
 * director runs its usual synchronous cycle, every produce() included: requests routed during the wait reuse
 * the producers' per-cycle objects, so the data the scorers read is produced again in one synchronous pass.
 */
import type { Logger } from 'pino';
import type { Endpoint } from '../framework/endpoint.ts';
import type { LLMRequest } from '../framework/request.ts';
import { isAsyncDataProducer, type AsyncDataProducer, type DataProducer } from '../framework/requestcontrol.ts';
import type { RequestDecision } from './decision.ts';
import { LaterDecision, type PendingDecision } from './later-decision.ts';

type Outcome = 'ready' | 'late' | 'failed' | 'cancelled';

export class AwaitedProducers {
  readonly #plugins: readonly DataProducer[];
  readonly #logger: Logger;
  /** Index past the last async producer: the producers after it run only in the synchronous cycle. */
  readonly #end: number;
  /** Per producer: its last preparation was late or failed (warned once until it is ready again). */
  readonly #degraded: boolean[];

  /** Null when no producer asks to be awaited: the director keeps its synchronous path. */
  static of(plugins: readonly DataProducer[], logger: Logger): AwaitedProducers | null {
    return plugins.some(isAsyncDataProducer) ? new AwaitedProducers(plugins, logger) : null;
  }

  private constructor(plugins: readonly DataProducer[], logger: Logger) {
    this.#plugins = plugins;
    this.#logger = logger;
    let end = 0;
    for (let i = 0; i < plugins.length; i++) if (isAsyncDataProducer(plugins[i]!)) end = i + 1;
    this.#end = end;
    this.#degraded = plugins.map(() => false);
  }

  /**
   * The request's decision once the preparations are over: `route` runs the synchronous cycle then; `fail`
   * answers a producer that threw. Cancelling it aborts the preparations; nothing is routed after.
   */
  decideLater(
    request: LLMRequest,
    candidates: readonly Endpoint[],
    then: { route: () => RequestDecision | PendingDecision; fail: (err: unknown) => RequestDecision },
  ): PendingDecision {
    const later = new LaterDecision();
    const stop = new AbortController();
    later.whenCancelled(() => stop.abort());
    this.prepare(request, candidates, stop.signal)
      .then(
        (ready) => {
          if (ready && !later.cancelled) later.follow(then.route());
        },
        (err: unknown) => later.settle(then.fail(err)),
      )
      .catch((err: unknown) => this.#logger.error({ err, requestId: request.requestId }, 'routing after the data producers failed'));
    return later;
  }

  /** Resolves true when every preparation is over (ready, late or failed), false when `cancel` aborted first. */
  async prepare(request: LLMRequest, candidates: readonly Endpoint[], cancel: AbortSignal): Promise<boolean> {
    for (let i = 0; i < this.#end; i++) {
      const p = this.#plugins[i]!;
      if (isAsyncDataProducer(p)) {
        const outcome = await this.#withinBudget(p, request, candidates, cancel);
        if (outcome === 'cancelled') return false;
        this.#report(i, p, outcome);
      }
      if (cancel.aborted) return false;
      p.produce(request, candidates);
    }
    return true;
  }

  #withinBudget(p: AsyncDataProducer, request: LLMRequest, candidates: readonly Endpoint[], cancel: AbortSignal): Promise<Outcome> {
    if (cancel.aborted) return Promise.resolve('cancelled');
    return new Promise<Outcome>((resolve) => {
      const stop = new AbortController();
      let done = false;
      const once = (outcome: Outcome, err?: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancel.removeEventListener('abort', onCancel);
        // Late or cancelled: the producer's I/O stops now, and it publishes nothing from it.
        if (outcome === 'late' || outcome === 'cancelled') stop.abort(outcome);
        if (outcome === 'failed') this.#logger.debug({ plugin: p.name, err: String(err) }, 'data producer preparation failed');
        resolve(outcome);
      };
      const onCancel = (): void => once('cancelled');
      const timer = setTimeout(() => once('late'), p.prepareBudgetMs);
      cancel.addEventListener('abort', onCancel, { once: true });
      try {
        p.prepare(request, candidates, stop.signal).then(() => once('ready'), (err: unknown) => once('failed', err));
      } catch (err) {
        once('failed', err);
      }
    });
  }

  /** Warns when a producer starts missing its budget or failing, notes when it is back: no line per request. */
  #report(i: number, p: AsyncDataProducer, outcome: Outcome): void {
    const degraded = outcome !== 'ready';
    if (degraded === this.#degraded[i]) return;
    this.#degraded[i] = degraded;
    if (outcome === 'late') {
      this.#logger.warn({ plugin: p.name, budgetMs: p.prepareBudgetMs }, `data producer "${p.name}" did not prepare within ${p.prepareBudgetMs} ms: requests use its fallback until it does`);
    } else if (outcome === 'failed') {
      this.#logger.warn({ plugin: p.name }, `data producer "${p.name}" failed to prepare: requests use its fallback until it succeeds`);
    } else {
      this.#logger.info({ plugin: p.name }, `data producer "${p.name}" prepares within its budget again`);
    }
  }
}
