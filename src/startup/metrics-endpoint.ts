/** The /metrics server's auth and TLS options from the flags (checked at startup, as upstream's Complete). */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Flags } from '../cli/flags.ts';
import { MetricsAuth, type AccessReviewer } from '../observability/metrics-auth.ts';
import type { startMetricsServer } from '../observability/metrics-server.ts';
import { StartupError } from './startup-error.ts';

/**
 * /metrics protection. --metrics-endpoint-auth (default true, as upstream): in Kubernetes mode the caller's
 * token goes through TokenReview + SubjectAccessReview; in standalone mode there is no API server, so only a
 * --metrics-auth-token-file token is accepted, and with neither that file nor an explicit
 * --metrics-endpoint-auth=true the endpoint stays open (logged). TLS files are checked here, as upstream's
 * Complete does.
 */
export const PENDING_REVIEWER: AccessReviewer = {
  tokenReview: () => Promise.reject(new Error('no API client yet')),
  accessReview: () => Promise.reject(new Error('no API client yet')),
};

export function metricsServerOptions(flags: Flags, reviewer: AccessReviewer | undefined, logger: Logger): Parameters<typeof startMetricsServer>[3] {
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new StartupError(`--${flag}: metrics TLS cert file unreadable: ${path}: ${(e as Error).message}`);
    }
  };
  let staticToken: string | undefined;
  if (flags.metricsAuthTokenFile) {
    staticToken = read('metrics-auth-token-file', flags.metricsAuthTokenFile).toString('utf8').trim();
    if (!staticToken) throw new StartupError(`--metrics-auth-token-file ${flags.metricsAuthTokenFile} is empty`);
  }

  let auth: MetricsAuth | undefined;
  if (flags.metricsEndpointAuth) {
    if (reviewer || staticToken) auth = new MetricsAuth({ reviewer, staticToken });
    else if (flags.metricsEndpointAuthSet) throw new StartupError('--metrics-endpoint-auth=true with --resources needs --metrics-auth-token-file (no API server for TokenReview in standalone mode)');
    else logger.info('/metrics is not authenticated: standalone mode has no API server (set --metrics-auth-token-file to require a token)');
  }
  if (flags.metricsCertDir) {
    read('metrics-cert-dir', `${flags.metricsCertDir}/tls.crt`);
    read('metrics-cert-dir', `${flags.metricsCertDir}/tls.key`);
  }
  const clientCa = flags.metricsClientCaFile ? read('metrics-client-ca-file', flags.metricsClientCaFile) : undefined;
  if (clientCa && !/-----BEGIN CERTIFICATE-----/.test(clientCa.toString('latin1'))) throw new StartupError(`--metrics-client-ca-file: no valid CA certs in metrics client CA file: ${flags.metricsClientCaFile}`);
  return { auth, certDir: flags.metricsCertDir || undefined, clientCa };
}
