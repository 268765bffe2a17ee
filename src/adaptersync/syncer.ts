/**
 * The adapter syncer (--adapter-syncer): a mode of the picker that reconciles the LoRA adapters its resources
 * name (InferenceModelRewrite targets, InferenceModel targetModels) onto the pool's model servers through vLLM's
 * runtime API, POST /v1/load_lora_adapter {"lora_name","lora_path"} and POST /v1/unload_lora_adapter
 * {"lora_name"} (the server runs with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True). It reads what each server holds
 * from the picker's own scrapes (vllm:lora_adapter_loaded, else lora_requests_info; max_lora for the slots), plans
 * with planner.ts, and runs on a timer and on every resource change. Off the request path.
 */
import type { Logger } from 'pino';
import type { Datastore } from '../datastore/datastore.ts';
import type { Clock } from '../framework/clock.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import { planActions, wantedReplicas, type Action, type ServerState } from './planner.ts';

export interface AdapterSyncerOptions {
  intervalMs: number;
  /** lora_path of an adapter: `{name}` is replaced by the adapter name. */
  pathTemplate: string;
  /** Timeout of one load or unload call. */
  callTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** A (server, adapter) whose call failed is not retried for this long. */
const FAILURE_BACKOFF_MS = 30_000;

export class AdapterSyncer {
  readonly #ds: Datastore;
  readonly #o: AdapterSyncerOptions;
  /** Targets that ever had weight > 0 (planner.wantedReplicas). */
  readonly #live = new Set<string>();
  /** Adapters named by a resource now or before: the only ones unloaded. */
  readonly #managed = new Set<string>();
  /** "server\0adapter" -> the call in flight, or done and not yet seen in a scrape (clock ms when done). */
  readonly #pending = new Map<string, { op: Action['op']; doneAt: number }>();
  readonly #failedAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  /** Calls made so far, by result (tests and the bench read them). */
  readonly calls = { load: 0, unload: 0, failed: 0 };

  constructor(ds: Datastore, o: AdapterSyncerOptions) {
    this.#ds = ds;
    this.#o = o;
  }

  start(): void {
    this.#timer = setInterval(() => void this.reconcile(), this.#o.intervalMs);
    this.#timer.unref();
    this.#ds.on('changed', this.#onChange);
    void this.reconcile();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#ds.off('changed', this.#onChange);
  }

  readonly #onChange = () => void this.reconcile();

  /** One pass: plan from the current state and run the calls (concurrently); a pass asked for meanwhile runs after. */
  async reconcile(): Promise<Action[]> {
    if (this.#running) {
      this.#again = true;
      return [];
    }
    this.#running = true;
    try {
      const actions = this.plan();
      // Unloads first: a load may need the slot one frees.
      await Promise.all(actions.filter((a) => a.op === 'unload').map((a) => this.#apply(a)));
      await Promise.all(actions.filter((a) => a.op === 'load').map((a) => this.#apply(a)));
      return actions;
    } finally {
      this.#running = false;
      if (this.#again) {
        this.#again = false;
        void this.reconcile();
      }
    }
  }

  /** The actions the current state calls for (no I/O). */
  plan(): Action[] {
    const now = this.#o.clock.now();
    const servers = this.#ds.endpoints().filter((e) => e.isAnswering(now) && e.metricsUpdatedAt >= 0);
    const rules = this.#ds.weightedTargets();
    for (const r of rules) for (const t of r) this.#managed.add(t.adapter);
    const wanted = wantedReplicas(rules, servers.length, this.#live);
    return planActions(servers.map((e) => this.#state(e)), wanted, this.#managed).filter((a) => {
      const k = key(a.server, a.adapter);
      return !this.#pending.has(k) && now - (this.#failedAt.get(k) ?? -Infinity) >= FAILURE_BACKOFF_MS;
    });
  }

  /** A server as the planner sees it: scraped residency, corrected by calls not yet visible in a scrape. */
  #state(e: Endpoint): ServerState {
    const loaded = new Set(e.residencyKnown ? e.loadedAdapters : [...e.activeAdapters, ...e.waitingAdapters]);
    for (const [k, p] of this.#pending) {
      const [server, adapter] = k.split('\0') as [string, string];
      if (server !== e.key) continue;
      // Done and scraped since: the scrape is the truth from now on.
      if (p.doneAt >= 0 && e.metricsUpdatedAt > p.doneAt) {
        this.#pending.delete(k);
        continue;
      }
      if (p.op === 'load') loaded.add(adapter);
      else loaded.delete(adapter);
    }
    return { key: e.key, slots: e.maxLora, loaded, busy: new Set([...e.activeAdapters, ...e.waitingAdapters]), waitingQueue: e.waitingQueue };
  }

  async #apply(a: Action): Promise<void> {
    const k = key(a.server, a.adapter);
    const entry = { op: a.op, doneAt: -1 };
    this.#pending.set(k, entry);
    const body = a.op === 'load' ? { lora_name: a.adapter, lora_path: this.#o.pathTemplate.replaceAll('{name}', a.adapter) } : { lora_name: a.adapter };
    let ok = false;
    try {
      const res = await fetch(`http://${a.server}/v1/${a.op}_lora_adapter`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#o.callTimeoutMs),
      });
      const text = await res.text();
      ok = res.ok;
      if (!ok) this.#o.logger.warn({ server: a.server, adapter: a.adapter, op: a.op, status: res.status, body: text.slice(0, 200) }, 'adapter call refused');
    } catch (err) {
      this.#o.logger.warn({ server: a.server, adapter: a.adapter, op: a.op, err }, 'adapter call failed');
    }
    if (ok) {
      this.calls[a.op]++;
      this.#o.logger.info({ server: a.server, adapter: a.adapter, op: a.op }, 'adapter synced');
      entry.doneAt = this.#o.clock.now();
    } else {
      this.calls.failed++;
      this.#pending.delete(k);
      this.#failedAt.set(k, this.#o.clock.now());
    }
  }
}

function key(server: string, adapter: string): string {
  return `${server}\0${adapter}`;
}
