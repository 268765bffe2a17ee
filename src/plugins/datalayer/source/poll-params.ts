/**
 * The parameters every polled HTTP source shares (upstream datalayer/source/http HTTPDataSource options):
 * `scheme`, `path`, `port`, `insecureSkipVerify`, `interval`, `caCertPath`, `clientCertPath` + `clientKeyPath`,
 * and (DCGM) `useNodeAddress`. Each source's factory lists which it accepts.
 */
import type { PollSettings, PolledSource } from '../../../framework/datalayer.ts';
import { PluginConfigError } from '../../../framework/plugin.ts';
import { boolParam, durationMsParam, intParam, type Params } from '../../../input/plugin-params.ts';
import { stringParam } from '../string-param.ts';

export interface PollDefaults {
  readonly path: string;
  readonly port: number;
}

export function readPollSettings(name: string, p: Params, defaults: PollDefaults): PollSettings {
  const scheme = stringParam(name, p, 'scheme', 'http');
  if (scheme !== 'http' && scheme !== 'https') throw new PluginConfigError(name, 'scheme', `unsupported scheme: ${scheme} (http or https)`);
  const path = stringParam(name, p, 'path', '') || defaults.path;
  if (!path.startsWith('/')) throw new PluginConfigError(name, 'path', `must start with "/", got ${JSON.stringify(path)}`);
  const clientCertPath = stringParam(name, p, 'clientCertPath', '');
  const clientKeyPath = stringParam(name, p, 'clientKeyPath', '');
  if ((clientCertPath === '') !== (clientKeyPath === '')) {
    throw new PluginConfigError(name, clientCertPath ? 'clientKeyPath' : 'clientCertPath', 'clientCertPath and clientKeyPath must be set together');
  }
  return {
    scheme,
    path,
    port: intParam(name, p, 'port', defaults.port, 0, 65535),
    intervalMs: durationMsParam(name, p, 'interval', 0),
    insecureSkipVerify: boolParam(name, p, 'insecureSkipVerify', true),
    useNodeAddress: boolParam(name, p, 'useNodeAddress', false),
    caCertPath: stringParam(name, p, 'caCertPath', ''),
    clientCertPath,
    clientKeyPath,
  };
}

/** A source the runner polls with `poll` and whose pages its extractors read: all it carries is its settings. */
export class PolledDataSource implements PolledSource {
  readonly dataSource = true as const;
  readonly scrape = undefined;
  readonly type: string;
  readonly name: string;
  readonly poll: PollSettings;

  constructor(type: string, name: string, poll: PollSettings) {
    this.type = type;
    this.name = name;
    this.poll = poll;
  }
}
