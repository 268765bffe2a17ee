/**
 * Runs a `dataLayer.discovery` plugin (framework/datalayer.ts EndpointDiscovery: multicluster-file-discovery):
 * reads its endpoints file (at most 1 MiB), and on every change when `watchFile` is set, and writes the endpoints
 * into the datastore as one synthetic pool whose pods each serve their own port (the active-ports annotation).
 * A bad entry is skipped with a warning; a file that cannot be read or parsed fails startup, and on a reload
 * keeps the last good endpoints.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DiscoveredEndpoint, EndpointDiscovery } from '../framework/datalayer.ts';
import { ACTIVE_PORTS_ANNOTATION, type ResourceSet } from '../datastore/resources.ts';
import { FileWatcher } from '../resources/file-watcher.ts';

const MAX_FILE_BYTES = 1 << 20;

/** What the source writes to (the Datastore satisfies it). */
export interface DiscoverySink {
  replaceAll(set: ResourceSet): void;
  markSynced(): void;
}

/** The datastore's view of discovered endpoints: one pool over every port, one pod per endpoint. */
export function discoveredResources(endpoints: readonly DiscoveredEndpoint[], poolName: string): ResourceSet {
  const ports = [...new Set(endpoints.map((e) => e.port))].sort((a, b) => a - b);
  return {
    pools: [{ name: poolName, namespace: '', group: '', selector: {}, targetPorts: ports, appProtocol: 'http', failureMode: 'FailClose' }],
    models: [],
    objectives: [],
    rewrites: [],
    pods: endpoints.map((e) => ({
      name: e.name,
      namespace: e.namespace,
      labels: e.labels,
      annotations: { [ACTIVE_PORTS_ANNOTATION]: String(e.port) },
      ip: e.address,
      ready: true,
      terminating: false,
    })),
  };
}

export class FileDiscoverySource {
  readonly #plugin: EndpointDiscovery;
  readonly #sink: DiscoverySink;
  readonly #logger: Logger;
  readonly #poolName: string;
  #watcher: FileWatcher | undefined;

  constructor(plugin: EndpointDiscovery, sink: DiscoverySink, logger: Logger, poolName = 'file-discovery') {
    this.#plugin = plugin;
    this.#sink = sink;
    this.#logger = logger;
    this.#poolName = poolName || 'file-discovery';
  }

  /** The first load (throws naming the file on failure), then the watch when `watchFile` is set. */
  start(): void {
    this.#load();
    this.#sink.markSynced();
    if (!this.#plugin.watchFile) return;
    this.#watcher = new FileWatcher(this.#plugin.discoveryFile, () => {
      try {
        this.#load();
      } catch (err) {
        this.#logger.error({ file: this.#plugin.discoveryFile, err: (err as Error).message }, 'discovery file reload failed; the last endpoints stay');
      }
    });
    this.#watcher.start();
  }

  #load(): void {
    const file = this.#plugin.discoveryFile;
    if (statSync(file).size > MAX_FILE_BYTES) throw new Error(`endpoints file ${file} exceeds 1 MiB limit`);
    const { endpoints, skipped } = this.#plugin.parseEndpoints(readFileSync(file, 'utf8'));
    for (const why of skipped) this.#logger.warn({ file, plugin: this.#plugin.name }, `discovery: ${why}; skipped`);
    this.#sink.replaceAll(discoveredResources(endpoints, this.#poolName));
    this.#logger.info({ file, endpoints: endpoints.length }, 'discovery file loaded');
  }

  stop(): void {
    this.#watcher?.close();
  }
}
