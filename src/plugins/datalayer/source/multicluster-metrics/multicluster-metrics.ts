/**
 * multicluster-metrics-data-source (upstream datalayer/source/metrics multicluster.go, Alpha): polls each peer
 * cluster's pool metrics page (where its `metricsAddress` / `metricsPort` labels say, else its address and port)
 * and hands it to multicluster-metrics-extractor. Parameters: `scheme` (https), `path` (/metrics),
 * `insecureSkipVerify` (false), `caCertPath`, `clientCertPath` + `clientKeyPath`, `interval`.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { boolParam, readParams } from '../../../../input/plugin-params.ts';
import { PolledDataSource, readPollSettings } from '../poll-params.ts';

export const MULTICLUSTER_METRICS_DATA_SOURCE_TYPE = 'multicluster-metrics-data-source';

export function createMulticlusterMetricsDataSource(name: string, params: unknown, _handle: PluginHandle): PolledDataSource {
  const p = readParams(name, params, ['scheme', 'path', 'insecureSkipVerify', 'caCertPath', 'clientCertPath', 'clientKeyPath', 'interval']);
  const poll = readPollSettings(name, { scheme: 'https', ...p }, { path: '/metrics', port: 0 });
  // Peers are reached across clusters: certificates are verified unless told otherwise (upstream's default false).
  return new PolledDataSource(MULTICLUSTER_METRICS_DATA_SOURCE_TYPE, name, { ...poll, insecureSkipVerify: boolParam(name, p, 'insecureSkipVerify', false), metricsHostFromLabels: true });
}
