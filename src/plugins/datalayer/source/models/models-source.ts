/**
 * models-data-source (upstream datalayer/source/models, Beta): polls each endpoint's OpenAI `/v1/models` and hands
 * the JSON to its extractors (models-data-extractor). Parameters: `scheme` (http), `path` (/v1/models),
 * `insecureSkipVerify` (true), `caCertPath`, `clientCertPath` + `clientKeyPath`, `interval` (the
 * --refresh-metrics-interval tick, rounded to a multiple of it). The endpoint's own port.
 */
import type { PollSettings, PolledSource } from '../../../../framework/datalayer.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { readPollSettings } from '../poll-params.ts';

export const MODELS_DATA_SOURCE_TYPE = 'models-data-source';

export class ModelsDataSource implements PolledSource {
  readonly type = MODELS_DATA_SOURCE_TYPE;
  readonly name: string;
  readonly dataSource = true as const;
  readonly scrape = undefined;
  readonly poll: PollSettings;

  constructor(name: string, poll: PollSettings) {
    this.name = name;
    this.poll = poll;
  }
}

export function createModelsDataSource(name: string, params: unknown, _handle: PluginHandle): ModelsDataSource {
  const p = readParams(name, params, ['scheme', 'path', 'insecureSkipVerify', 'caCertPath', 'clientCertPath', 'clientKeyPath', 'interval']);
  return new ModelsDataSource(name, readPollSettings(name, p, { path: '/v1/models', port: 0 }));
}
