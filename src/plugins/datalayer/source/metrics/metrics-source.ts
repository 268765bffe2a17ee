/**
 * metrics-data-source: how the collector scrapes each endpoint's Prometheus page (upstream
 * datalayer/source/metrics). Parameters: `scheme` (http or https), `path` (each engine's: /metrics), `port` (the endpoint's own), `interval` (the --refresh-metrics-interval
 * tick), `insecureSkipVerify` (true), `caCertPath`, `clientCertPath` + `clientKeyPath` (mTLS, both or none).
 */
import type { DataSource, MetricsScrapeSettings } from '../../../../framework/datalayer.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import { boolParam, durationMsParam, intParam, readParams } from '../../../../input/plugin-params.ts';
import { stringParam } from '../../string-param.ts';

export const METRICS_DATA_SOURCE_TYPE = 'metrics-data-source';

export class MetricsDataSource implements DataSource {
  readonly type = METRICS_DATA_SOURCE_TYPE;
  readonly name: string;
  readonly dataSource = true as const;
  readonly scrape: MetricsScrapeSettings;

  constructor(name: string, scrape: MetricsScrapeSettings) {
    this.name = name;
    this.scrape = scrape;
  }
}

const PARAMS = ['scheme', 'path', 'port', 'interval', 'insecureSkipVerify', 'caCertPath', 'clientCertPath', 'clientKeyPath'];

export function createMetricsDataSource(name: string, params: unknown, _handle: PluginHandle): MetricsDataSource {
  const p = readParams(name, params, PARAMS);
  const scheme = stringParam(name, p, 'scheme', 'http');
  if (scheme !== 'http' && scheme !== 'https') throw new PluginConfigError(name, 'scheme', `unsupported scheme: ${scheme} (http or https)`);
  const settings: MetricsScrapeSettings = {
    scheme,
    // '' = the engine's own path (/metrics; /prometheus/metrics for trtllm-serve), which upstream spells /metrics.
    path: stringParam(name, p, 'path', ''),
    port: intParam(name, p, 'port', 0, 1, 65535),
    intervalMs: durationMsParam(name, p, 'interval', 0),
    insecureSkipVerify: boolParam(name, p, 'insecureSkipVerify', true),
    caCertPath: stringParam(name, p, 'caCertPath', ''),
    clientCertPath: stringParam(name, p, 'clientCertPath', ''),
    clientKeyPath: stringParam(name, p, 'clientKeyPath', ''),
  };
  if ((settings.clientCertPath === '') !== (settings.clientKeyPath === '')) {
    throw new PluginConfigError(name, settings.clientCertPath ? 'clientKeyPath' : 'clientCertPath', 'clientCertPath and clientKeyPath must be set together');
  }
  if (settings.path !== '' && !settings.path.startsWith('/')) throw new PluginConfigError(name, 'path', `must start with "/", got ${JSON.stringify(settings.path)}`);
  return new MetricsDataSource(name, settings);
}
