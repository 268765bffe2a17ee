/**
 * multicluster-file-discovery (upstream datalayer/discovery/file, Alpha): the endpoints are peer clusters listed in
 * a YAML or JSON file, `endpoints: [{name, namespace (default), address, port ("1".."65535"), labels}]`, reached by
 * their gateway: `address` is an IP or an RFC 1123 host name. A `metricsAddress` label (and `metricsPort`, else the
 * port) says where the peer serves its pool metrics (multicluster-metrics-data-source polls there). Parameters:
 * `path` (required), `watchFile` (false: reload on change). Used as `dataLayer.discovery`; the runner reads the file
 * (src/datalayer/file-discovery.ts) instead of watching an InferencePool.
 */
import { isIP } from 'node:net';
import { parse } from 'yaml';
import type { DiscoveredEndpoint, EndpointDiscovery } from '../../../../framework/datalayer.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import { boolParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export const MULTICLUSTER_FILE_DISCOVERY_TYPE = 'multicluster-file-discovery';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An IP or an RFC 1123 subdomain (upstream validateHostOrIP). */
function validHost(address: string): boolean {
  return isIP(address) !== 0 || (address.length <= 253 && DNS_SUBDOMAIN.test(address));
}

export class MulticlusterFileDiscovery implements EndpointDiscovery {
  readonly type = MULTICLUSTER_FILE_DISCOVERY_TYPE;
  readonly name: string;
  readonly discoveryFile: string;
  readonly watchFile: boolean;
  readonly clusterScoped = true;

  constructor(name: string, path: string, watchFile: boolean) {
    this.name = name;
    this.discoveryFile = path;
    this.watchFile = watchFile;
  }

  parseEndpoints(text: string): { endpoints: DiscoveredEndpoint[]; skipped: string[] } {
    const doc = parse(text) as unknown;
    const list = doc === null || doc === undefined ? [] : (doc as { endpoints?: unknown }).endpoints;
    if (typeof doc !== 'object' || (list !== undefined && list !== null && !Array.isArray(list))) throw new Error('endpoints file: want `endpoints:` as a list');
    const endpoints: DiscoveredEndpoint[] = [];
    const skipped: string[] = [];
    for (const raw of (list ?? []) as unknown[]) {
      const e = (raw ?? {}) as Record<string, unknown>;
      const name = typeof e['name'] === 'string' ? e['name'] : '';
      const address = typeof e['address'] === 'string' ? e['address'] : '';
      const portText = typeof e['port'] === 'string' || typeof e['port'] === 'number' ? String(e['port']) : '';
      if (!validHost(address)) {
        skipped.push(`endpoint ${JSON.stringify(name)}: invalid host ${JSON.stringify(address)}`);
        continue;
      }
      const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 1 && port <= 65535)) {
        skipped.push(`endpoint ${JSON.stringify(name)}: invalid port ${JSON.stringify(portText)}`);
        continue;
      }
      const labels: Record<string, string> = {};
      if (typeof e['labels'] === 'object' && e['labels'] !== null) for (const [k, v] of Object.entries(e['labels'])) labels[k] = String(v);
      endpoints.push({ name, namespace: typeof e['namespace'] === 'string' && e['namespace'] !== '' ? e['namespace'] : 'default', address, port, labels });
    }
    return { endpoints, skipped };
  }
}

export function createMulticlusterFileDiscovery(name: string, params: unknown, _handle: PluginHandle): MulticlusterFileDiscovery {
  const p = readParams(name, params, ['path', 'watchFile']);
  const path = stringParam(name, p, 'path', '');
  if (path === '') throw new PluginConfigError(name, 'path', "the 'path' parameter is required");
  return new MulticlusterFileDiscovery(name, path, boolParam(name, p, 'watchFile', false));
}
