/** Files the picker reads once at startup: the scheduler config and the TLS material of https metrics sources. */
import { readFileSync } from 'node:fs';
import type { PageTls } from '../datalayer/page-client.ts';
import type { MetricsScrapeSettings } from '../framework/datalayer.ts';
import { StartupError } from './startup-error.ts';

export function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new StartupError(`--config-file ${path}: ${(e as Error).message}`);
  }
}

/** TLS of an https metrics source: the files are read once, at startup (a missing one stops it). */
export function scrapeTls(s: MetricsScrapeSettings): PageTls {
  const read = (field: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new StartupError(`metrics-data-source parameters.${field} ${path}: ${(e as Error).message}`);
    }
  };
  return {
    rejectUnauthorized: !s.insecureSkipVerify,
    ...(s.caCertPath ? { ca: read('caCertPath', s.caCertPath) } : {}),
    ...(s.clientCertPath ? { cert: read('clientCertPath', s.clientCertPath), key: read('clientKeyPath', s.clientKeyPath) } : {}),
  };
}
