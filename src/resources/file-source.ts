/**
 * The standalone source: a multi-document YAML file of InferencePools, InferenceModels, InferenceObjectives,
 * InferenceModelRewrites and Pods, applied to the datastore as a whole and re-applied when the file changes.
 * A file with any problem is rejected as a whole and the last good state stays in force; the first load
 * failing is returned to the caller (the CLI exits on it).
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { PoolSpec, ResourceSet } from '../datastore/resources.ts';
import type { LabelSelector } from '../input/label-selector.ts';
import { FileWatcher } from './file-watcher.ts';
import { poolChoiceProblem } from './pool-choice.ts';
import { parseResourceText, type ResourceProblem } from './resource-text.ts';

/** What the source needs from the datastore (the Datastore class satisfies it). */
export interface ResourceSink {
  readonly options: {
    poolName: string;
    poolNamespace: string;
    endpointSelector?: LabelSelector | undefined;
  };
  replaceAll(set: ResourceSet): void;
  markSynced(): void;
  pool(): PoolSpec | undefined;
  endpoints(): readonly unknown[];
}

export interface AppliedCounts {
  pools: number;
  models: number;
  objectives: number;
  rewrites: number;
  pods: number;
  /** Endpoints the datastore derived from the pods (Ready, with an IP, matching the pool). */
  endpoints: number;
}

/** Every problem of one rejected load; `message` has one `file:line: text` line per problem. */
export class ResourceFileError extends Error {
  readonly file: string;
  readonly problems: readonly ResourceProblem[];
  constructor(file: string, problems: readonly ResourceProblem[]) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.name = 'ResourceFileError';
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(file: string, p: ResourceProblem): string {
  return p.line > 0 ? `${file}:${p.line}: ${p.message}` : `${file}: ${p.message}`;
}

export type LoadResult = { ok: true; counts: AppliedCounts } | { ok: false; error: ResourceFileError };

export interface ResourceFileSourceOptions {
  file: string;
  datastore: ResourceSink;
  logger: Logger;
  /** Namespace for objects without one; default: the datastore's pool namespace, else "default". */
  defaultNamespace?: string;
  debounceMs?: number;
  pollMs?: number;
}

export interface ResourceFileSourceEvents {
  applied: [AppliedCounts];
  rejected: [ResourceFileError];
}

export class ResourceFileSource extends EventEmitter<ResourceFileSourceEvents> {
  readonly file: string;
  readonly #sink: ResourceSink;
  readonly #logger: Logger;
  readonly #defaultNamespace: string;
  readonly #watcher: FileWatcher;
  /** Loads run one after another; this is the tail of that chain. */
  #chain: Promise<unknown> = Promise.resolve();
  #changeQueued = false;
  /** Text (or read error) of the last attempt, so an unchanged file is not re-applied or re-reported. */
  #lastAttempt: string | undefined = undefined;
  #synced = false;
  #closed = false;

  constructor(options: ResourceFileSourceOptions) {
    super();
    this.file = resolve(options.file);
    this.#sink = options.datastore;
    this.#logger = options.logger;
    this.#defaultNamespace = options.defaultNamespace || options.datastore.options.poolNamespace || 'default';
    this.#watcher = new FileWatcher(this.file, () => this.#onChange(), {
      debounceMs: options.debounceMs ?? 100,
      pollMs: options.pollMs ?? 1000,
      onError: (err) => this.#logger.warn({ file: this.file, err }, 'resources file watch failed; polling instead'),
    });
  }

  /** Loads the file once; when that succeeds, starts watching it. The caller treats a failure as fatal. */
  async start(): Promise<LoadResult> {
    const result = await this.reload();
    if (result.ok && !this.#closed) this.#watcher.start();
    return result;
  }

  /** Reads and applies the file now, even if it has not changed (e.g. on SIGHUP). */
  reload(): Promise<LoadResult> {
    const run = this.#chain.then(() => this.#load(true) as Promise<LoadResult>);
    this.#chain = run.catch(ignore); // the caller sees the failure; later loads still run
    return run;
  }

  close(): void {
    this.#closed = true;
    this.#watcher.close();
  }

  #onChange(): void {
    if (this.#changeQueued) return; // one queued load reads the newest text anyway
    this.#changeQueued = true;
    this.#chain = this.#chain
      .then(() => {
        this.#changeQueued = false;
        return this.#load(false);
      })
      .catch((err: unknown) => this.#logger.error({ file: this.file, err }, 'resources file reload failed'));
  }

  /** Returns undefined (only) when `force` is false and the source is closed or the file is unchanged. */
  async #load(force: boolean): Promise<LoadResult | undefined> {
    if (this.#closed && !force) return undefined;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const key = `\0${e.code ?? e.message}`;
      if (!force && key === this.#lastAttempt) return undefined;
      this.#lastAttempt = key;
      return this.#reject([{ line: 0, document: 0, field: '', message: `cannot read the resources file: ${e.message}` }]);
    }
    if (!force && text === this.#lastAttempt) return undefined;
    this.#lastAttempt = text;

    const parsed = parseResourceText(text, this.#defaultNamespace);
    if (!parsed.ok) return this.#reject(parsed.problems);
    const { pools, models, objectives, rewrites, pods } = parsed.set;
    if (pools.length + models.length + objectives.length + rewrites.length + pods.length === 0) {
      // A save in progress can be read as an empty file; applying it would drain every endpoint.
      return this.#reject([{ line: 0, document: 0, field: '', message: 'the file holds no objects' }]);
    }
    if (this.#sink.options.endpointSelector === undefined) {
      const problem = poolChoiceProblem(parsed.set.pools, this.#sink.options.poolName);
      if (problem) return this.#reject([{ line: 0, document: 0, field: '', message: problem }]);
    }
    return this.#apply(parsed.set);
  }

  #apply(set: ResourceSet): LoadResult {
    this.#sink.replaceAll(set);
    if (!this.#synced) {
      this.#synced = true;
      this.#sink.markSynced();
    }
    const counts: AppliedCounts = {
      pools: set.pools.length,
      models: set.models.length,
      objectives: set.objectives.length,
      rewrites: set.rewrites.length,
      pods: set.pods.length,
      endpoints: this.#sink.endpoints().length,
    };
    this.#logger.info({ file: this.file, ...counts }, 'resources file applied');
    this.#warnUnused(set);
    this.emit('applied', counts);
    return { ok: true, counts };
  }

  /** Valid but probably not what was meant: worth a warning, not a rejection. */
  #warnUnused(set: ResourceSet): void {
    if (set.pods.length > 0 && this.#sink.endpoints().length === 0) {
      this.#logger.warn(
        { file: this.file },
        'no endpoints: no pod is Ready with a status.podIP, not terminating, in the pool namespace and matching the pool selector',
      );
    }
    const pool = this.#sink.pool();
    if (!pool || this.#sink.options.endpointSelector !== undefined) return;
    for (const o of [...set.models, ...set.objectives, ...set.rewrites]) {
      if (o.poolRef !== pool.name || o.namespace !== pool.namespace) {
        this.#logger.warn(
          { file: this.file, object: `${o.namespace}/${o.name}`, poolRef: o.poolRef },
          `ignored: refers to pool ${o.namespace}/${o.poolRef}, the picker serves ${pool.namespace}/${pool.name}`,
        );
      }
    }
  }

  #reject(problems: ResourceProblem[]): LoadResult {
    const error = new ResourceFileError(this.file, problems);
    for (const p of problems) {
      this.#logger.error({ file: this.file, line: p.line, document: p.document, field: p.field }, formatProblem(this.file, p));
    }
    this.#logger.error(
      { file: this.file, problems: problems.length },
      this.#synced ? 'resources file rejected; the last good state stays in force' : 'resources file rejected',
    );
    this.emit('rejected', error);
    return { ok: false, error };
  }
}

function ignore(): void {}
