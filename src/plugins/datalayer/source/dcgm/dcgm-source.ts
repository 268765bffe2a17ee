/**
 * dcgm-data-source (upstream datalayer/source/dcgm, Alpha): polls NVIDIA's DCGM exporter for each endpoint and
 * hands the Prometheus page to its extractors (dcgm-extractor). Parameters: `scheme` (http), `path` (/metrics),
 * `port` (9400), `insecureSkipVerify` (true), `useNodeAddress` (false: the pod IP, a sidecar exporter; true: the
 * pod's node, a DaemonSet exporter), `interval` (the --refresh-metrics-interval tick; rounded to a multiple of it).
 */
import type { PollSettings, PolledSource } from '../../../../framework/datalayer.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { readPollSettings } from '../poll-params.ts';

export const DCGM_DATA_SOURCE_TYPE = 'dcgm-data-source';

export class DcgmDataSource implements PolledSource {
  readonly type = DCGM_DATA_SOURCE_TYPE;
  readonly name: string;
  readonly dataSource = true as const;
  readonly scrape = undefined;
  readonly poll: PollSettings;

  constructor(name: string, poll: PollSettings) {
    this.name = name;
    this.poll = poll;
  }
}

export function createDcgmDataSource(name: string, params: unknown, _handle: PluginHandle): DcgmDataSource {
  const p = readParams(name, params, ['scheme', 'path', 'port', 'insecureSkipVerify', 'useNodeAddress', 'interval']);
  return new DcgmDataSource(name, readPollSettings(name, p, { path: '/metrics', port: 9400 }));
}
