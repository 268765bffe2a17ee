/** Serves the Prometheus registry at /metrics on --metrics-port (node:http; scrapes are rare, no hot path). */
import http from 'node:http';
import type { Registry } from 'prom-client';

export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<http.Server & { boundPort: number }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found; metrics are at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return Object.assign(server, { boundPort: typeof addr === 'object' && addr ? addr.port : port });
}
