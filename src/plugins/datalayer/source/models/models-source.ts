/**
 * models-data-source (upstream datalayer/source/models, Beta): polls each endpoint's OpenAI `/v1/models` and hands
 * the JSON to its extractors (models-data-extractor). Parameters: `scheme` (http), `path` (/v1/models),
 * `insecureSkipVerify` (true), `caCertPath`, `clientCertPath` + `clientKeyPath`, `interval` (the
 * --refresh-metrics-interval tick, rounded to a multiple of it). The endpoint's own port.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { PolledDataSource, readPollSettings } from '../poll-params.ts';

export const MODELS_DATA_SOURCE_TYPE = 'models-data-source';

export function createModelsDataSource(name: string, params: unknown, _handle: PluginHandle): PolledDataSource {
  const p = readParams(name, params, ['scheme', 'path', 'insecureSkipVerify', 'caCertPath', 'clientCertPath', 'clientKeyPath', 'interval']);
  return new PolledDataSource(MODELS_DATA_SOURCE_TYPE, name, readPollSettings(name, p, { path: '/v1/models', port: 0 }));
}
