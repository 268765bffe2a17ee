/**
 * The simulated server's LoRA adapter registry and vLLM's runtime adapter API
 * (VLLM_ALLOW_RUNTIME_LORA_UPDATING=True):
 *   POST /v1/load_lora_adapter   {"lora_name": "...", "lora_path": "..."}  -> 200 "Success: LoRA adapter '<n>' added successfully."
 *   POST /v1/unload_lora_adapter {"lora_name": "..."}                      -> 200 "Success: LoRA adapter '<n>' removed successfully."
 * Errors as vLLM: an adapter already loaded 400, an unknown one on unload 404 (vLLM's error JSON).
 * A load takes `loadMs` virtual ms (reading the adapter from storage) before the adapter can serve. The registry
 * holds at most `maxAdapters` adapters: a load past that is refused with 400 (the sim is stricter than vLLM,
 * whose CPU cache would evict, so a syncer that over-places is caught). With `onDemand` (vLLM's LoRA resolver
 * plugins) a request for an unregistered adapter loads it first, paying the load time: the "cold load" a rollout
 * must avoid; when full, the least recently used idle adapter is evicted for it.
 */
export interface AdapterRegistryOptions {
  initial: readonly string[];
  maxAdapters: number;
  /** Virtual ms a load takes. */
  loadMs: number;
  onDemand: boolean;
  /** Waits `ms` virtual ms (the server maps it to wall time). */
  wait: (ms: number) => Promise<void>;
  /** Whether requests for the adapter are running or waiting in the engine (such an adapter is not evicted). */
  busy: (name: string) => boolean;
}

export interface ApiReply {
  status: number;
  body: string;
  /** JSON (errors) or plain text (success, as vLLM answers). */
  json: boolean;
}

export class AdapterRegistry {
  /** Registered adapters, least recently used first. */
  readonly #ready: string[];
  readonly #loading = new Map<string, Promise<void>>();
  readonly #o: AdapterRegistryOptions;
  /** Loads done so far (API and on-demand) and cold loads (on-demand only). */
  loads = 0;
  coldLoads = 0;

  constructor(o: AdapterRegistryOptions) {
    this.#o = o;
    this.#ready = [...o.initial];
  }

  get enabled(): boolean {
    return this.#o.maxAdapters > 0;
  }

  has(name: string): boolean {
    return this.#ready.includes(name);
  }

  /** Registered adapters (ready to serve). */
  names(): readonly string[] {
    return this.#ready;
  }

  /** Marks `name` as used now (LRU order for on-demand eviction). */
  touch(name: string): void {
    const i = this.#ready.indexOf(name);
    if (i >= 0 && i !== this.#ready.length - 1) {
      this.#ready.splice(i, 1);
      this.#ready.push(name);
    }
  }

  /**
   * For a request naming `model`: resolves when the adapter can serve; false when it cannot (unknown and not
   * loadable). Only called for names that are not the base model.
   */
  async resolve(model: string): Promise<boolean> {
    if (this.has(model)) {
      this.touch(model);
      return true;
    }
    const pending = this.#loading.get(model);
    if (pending) {
      await pending;
      return this.has(model);
    }
    if (!this.#o.onDemand || !this.enabled) return false;
    if (this.#ready.length + this.#loading.size >= this.#o.maxAdapters && !this.#evictIdle()) return false;
    this.coldLoads++;
    await this.#load(model);
    return this.has(model);
  }

  async load(body: unknown): Promise<ApiReply> {
    const { lora_name: name, lora_path: path } = (body ?? {}) as { lora_name?: unknown; lora_path?: unknown };
    if (typeof name !== 'string' || name === '' || typeof path !== 'string' || path === '') {
      return error(400, 'BadRequestError', 'Both \'lora_name\' and \'lora_path\' must be provided.');
    }
    if (this.has(name) || this.#loading.has(name)) return error(400, 'BadRequestError', `The lora adapter '${name}' has already been loaded.`);
    if (this.#ready.length + this.#loading.size >= this.#o.maxAdapters) {
      return error(400, 'BadRequestError', `No free adapter slot: ${this.#o.maxAdapters} adapters loaded.`);
    }
    await this.#load(name);
    return { status: 200, body: `Success: LoRA adapter '${name}' added successfully.`, json: false };
  }

  unload(body: unknown): ApiReply {
    const { lora_name: name } = (body ?? {}) as { lora_name?: unknown };
    if (typeof name !== 'string' || name === '') return error(400, 'BadRequestError', '\'lora_name\' needs to be provided to unload a LoRA adapter.');
    const i = this.#ready.indexOf(name);
    if (i < 0) return error(404, 'NotFoundError', `The lora adapter '${name}' cannot be found.`);
    this.#ready.splice(i, 1);
    return { status: 200, body: `Success: LoRA adapter '${name}' removed successfully.`, json: false };
  }

  async #load(name: string): Promise<void> {
    const p = this.#o.wait(this.#o.loadMs).then(() => {
      this.#loading.delete(name);
      this.#ready.push(name);
      this.loads++;
    });
    this.#loading.set(name, p);
    await p;
  }

  #evictIdle(): boolean {
    const i = this.#ready.findIndex((n) => !this.#o.busy(n));
    if (i < 0) return false;
    this.#ready.splice(i, 1);
    return true;
  }
}

function error(status: number, type: string, message: string): ApiReply {
  return { status, body: JSON.stringify({ object: 'error', message, type, param: null, code: status }), json: true };
}
