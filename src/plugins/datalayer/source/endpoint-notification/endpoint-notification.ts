/**
 * endpoint-notification-source (upstream datalayer/source/notifications, Beta): the source of endpoint lifecycle
 * events (an endpoint joined, changed, left) for extractors that derive attributes from the endpoint itself. It
 * takes no parameters and carries no settings: the runner hands every join and relabel to each endpoint observer
 * (topology-extractor), and removals to every plugin holding endpoint state, whether or not a config lists this
 * source (upstream binds such extractors to a default instance of it too).
 */
import type { DataSource } from '../../../../framework/datalayer.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const ENDPOINT_NOTIFICATION_SOURCE_TYPE = 'endpoint-notification-source';

export class EndpointNotificationSource implements DataSource {
  readonly type = ENDPOINT_NOTIFICATION_SOURCE_TYPE;
  readonly name: string;
  readonly dataSource = true as const;
  readonly scrape = undefined;

  constructor(name: string) {
    this.name = name;
  }
}

export function createEndpointNotificationSource(name: string, params: unknown, _handle: PluginHandle): EndpointNotificationSource {
  readParams(name, params, []);
  return new EndpointNotificationSource(name);
}
