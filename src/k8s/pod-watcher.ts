/**
 * The Pod informer, with the label selector pushed to the API server. When the pool's selector changes a
 * new informer replaces the old one; pods only the old selection held are deleted once the new list is in.
 * Until then the datastore's own selector match already keeps non-matching pods out of the candidate set.
 */
import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.ts';
import type { KubeClient } from './client.ts';
import { apiVersionOf, collectionPath, POD_RESOURCE } from './api-resources.ts';
import { Informer } from './informer.ts';
import type { DatastoreReconciler } from './reconciler.ts';

export interface PodWatcherOptions {
  client: KubeClient;
  namespace: string;
  reconciler: DatastoreReconciler;
  logger: Logger;
  backoff?: BackoffOptions | undefined;
  /** Called after each first list of a selector. */
  onListed: () => void;
}

export class PodWatcher {
  #opts: PodWatcherOptions;
  #informer: Informer | undefined;
  #selector: string | undefined;
  #stopping: Promise<void>[] = [];

  constructor(options: PodWatcherOptions) {
    this.#opts = options;
    this.#informer = undefined;
    this.#selector = undefined;
  }

  /** Current label selector, undefined before the pool is known. */
  selector(): string | undefined {
    return this.#selector;
  }

  synced(): boolean {
    return this.#informer?.synced() ?? false;
  }

  /** Watches pods matching `selector` (a canonical labelSelectorString), replacing any previous informer. */
  follow(selector: string): void {
    if (selector === this.#selector) return;
    const { client, namespace, reconciler, logger, backoff } = this.#opts;
    if (this.#selector !== undefined) logger.info({ from: this.#selector, to: selector }, 'pool selector changed; re-watching pods');
    this.#selector = selector;
    const old = this.#informer;
    let first = true;
    const informer: Informer = new Informer(
      {
        path: collectionPath(POD_RESOURCE, namespace),
        apiVersion: apiVersionOf(POD_RESOURCE),
        kind: 'Pod',
        labelSelector: selector,
      },
      {
        // Events from a replaced informer are ignored: it may still deliver a few before it stops.
        upsert: (obj) => this.#informer === informer && reconciler.upsert('Pod', obj),
        remove: (obj) => this.#informer === informer && reconciler.remove('Pod', obj),
        listed: () => {
          if (this.#informer !== informer || !first) return;
          first = false;
          const current = new Set(informer.keys());
          for (const key of reconciler.known('Pod')) {
            if (current.has(key)) continue;
            const slash = key.indexOf('/');
            reconciler.remove('Pod', { metadata: { namespace: key.slice(0, slash), name: key.slice(slash + 1) } });
          }
          this.#opts.onListed();
        },
      },
      backoff ? { client, logger, backoff } : { client, logger },
    );
    this.#informer = informer;
    if (old) this.#stopping.push(old.stop());
    informer.start();
  }

  async stop(): Promise<void> {
    const cur = this.#informer;
    this.#informer = undefined;
    await Promise.all([...this.#stopping, cur?.stop()]);
  }
}
