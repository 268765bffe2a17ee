/**
 * dcgm-data-source (upstream datalayer/source/dcgm, Alpha): polls NVIDIA's DCGM exporter for each endpoint and
 * hands the Prometheus page to its extractors (dcgm-extractor). Parameters: `scheme` (http), `path` (/metrics),
 * `port` (9400), `insecureSkipVerify` (true), `useNodeAddress` (false: the pod IP, a sidecar exporter; true: the
 * pod's node, a DaemonSet exporter), `interval` (the --refresh-metrics-interval tick; rounded to a multiple of it).
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { PolledDataSource, readPollSettings } from '../poll-params.ts';

export const DCGM_DATA_SOURCE_TYPE = 'dcgm-data-source';

export function createDcgmDataSource(name: string, params: unknown, _handle: PluginHandle): PolledDataSource {
  const p = readParams(name, params, ['scheme', 'path', 'port', 'insecureSkipVerify', 'useNodeAddress', 'interval']);
  return new PolledDataSource(DCGM_DATA_SOURCE_TYPE, name, readPollSettings(name, p, { path: '/metrics', port: 9400 }));
}
