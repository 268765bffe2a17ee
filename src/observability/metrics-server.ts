/**
 * Serves the Prometheus registry at /metrics on --metrics-port (node:http; scrapes are rare, no hot path).
 * With --metrics-cert-dir it is HTTPS (TLS 1.2+, as upstream; the pair is reloaded when the directory
 * changes, as controller-runtime's cert watcher does), with --metrics-client-ca-file clients must present a
 * certificate that verifies against that CA. With `auth` every request passes metrics-auth.ts first.
 */
import http from 'node:http';
import https from 'node:https';
import type { Registry } from 'prom-client';
import { CertWatcher, readCertPair } from '../tls/cert-watcher.ts';
import type { MetricsAuth } from './metrics-auth.ts';
import { metricsChunks } from './render-metrics.ts';

export interface MetricsServerOptions {
  /** --metrics-cert-dir (tls.crt, tls.key). */
  certDir?: string | undefined;
  /** --metrics-client-ca-file: PEM contents. */
  clientCa?: Buffer | undefined;
  auth?: MetricsAuth | undefined;
  /** More pages on this port (live page, /debug/explain), behind the same auth: true = answered. */
  routes?: ((req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean) | undefined;
  /** Tests shorten the reload debounce. */
  certReloadDebounceMs?: number;
}

export type MetricsServer = (http.Server | https.Server) & { boundPort: number; certWatcher: CertWatcher | undefined };

export async function startMetricsServer(registry: Registry, host: string, port: number, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const serve = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      void writeMetrics(registry, res);
      return;
    }
    if (options.routes?.(req, res, new URL(req.url ?? '/', 'http://x'))) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found; metrics are at /metrics\n');
  };
  const auth = options.auth;
  const handler = !auth
    ? serve
    : (req: http.IncomingMessage, res: http.ServerResponse): void => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        auth.check(req.headers.authorization, req.method ?? 'GET', path).then((d) => {
          if (d.status === 200) return serve(req, res);
          res.writeHead(d.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
          res.end(`${d.message}\n`);
        }, () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('Authentication failed\n');
        });
      };
  let certWatcher: CertWatcher | undefined;
  let server: http.Server | https.Server;
  if (options.certDir) {
    const tls = {
      minVersion: 'TLSv1.2' as const,
      ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    };
    const s = https.createServer({ ...readCertPair(options.certDir), ...tls }, handler);
    certWatcher = new CertWatcher(options.certDir, (pair) => s.setSecureContext({ ...pair, ...tls }), options.certReloadDebounceMs);
    s.on('close', () => certWatcher?.close());
    server = s;
  } else {
    server = http.createServer(handler);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return Object.assign(server, { boundPort: typeof addr === 'object' && addr ? addr.port : port, certWatcher });
}

/**
 * Streams the exposition as it is rendered, a slice per event-loop turn (render-metrics.ts): a large page never
 * holds routing for long, and waits on the socket when the scraper reads slowly.
 */
async function writeMetrics(registry: Registry, res: http.ServerResponse): Promise<void> {
  try {
    for await (const piece of metricsChunks(registry)) {
      if (!res.headersSent) res.writeHead(200, { 'content-type': registry.contentType });
      if (res.destroyed) return;
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  } catch (err) {
    if (res.headersSent) res.destroy(err as Error);
    else {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end((err as Error).message);
    }
  }
}
