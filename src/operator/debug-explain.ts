/**
 * POST /debug/explain on the metrics port: dry-runs the scheduler on a posted request body and answers with
 * the decision explained; nothing is routed, counted or charged (Director.explain). The body is the LLM
 * request as a client would send it; `?path=` is the API path it is parsed as (default /v1/chat/completions);
 * the request's x-* headers (fairness id, objective, model rewrite, ...) are passed on as the request's headers.
 * `?format=text` answers with a table instead of JSON.
 */
import type http from 'node:http';
import type { Explanation } from '../framework/explain.ts';
import { explanationText } from './explain-text.ts';

export const DEBUG_EXPLAIN_PATH = '/debug/explain';
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const DEFAULT_API_PATH = '/v1/chat/completions';

export type DryRun = (headers: ReadonlyMap<string, string>, body: Buffer | null) => Explanation;

export function serveDebugExplain(dryRun: DryRun, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' });
    res.end('POST the request body to explain\n');
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  req.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > MAX_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end('request body too large\n');
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const headers = new Map<string, string>([[':path', url.searchParams.get('path') || DEFAULT_API_PATH], [':method', 'POST'], ['content-type', 'application/json']]);
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-') && typeof value === 'string') headers.set(name, value);
    }
    let e: Explanation;
    try {
      e = dryRun(headers, bytes > 0 ? Buffer.concat(chunks, bytes) : null);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`explain failed: ${(err as Error).message}\n`);
      return;
    }
    if (url.searchParams.get('format') === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(explanationText(e));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(e, null, 2) + '\n');
    }
  });
}
