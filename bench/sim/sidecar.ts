/**
 * The routing sidecar of a decode pod, with llm-d's contract (llm-d-router cmd/pd-sidecar, NIXL v2 connector):
 * it listens where the gateway sends the request (default :8000) and fronts the decode vLLM (default :8200).
 * - No `x-prefiller-host-port`: the request goes to the decoder unchanged.
 * - With it (comma list: the first, as upstream without prefiller sampling): the header is removed; the prefill
 *   leg goes to that server with kv_transfer_params {do_remote_decode: true}, stream off, max_tokens /
 *   max_completion_tokens / min_tokens 1; its response's kv_transfer_params go into the original request,
 *   which the decoder then serves (streamed or not, as the client asked).
 * - A prefill target outside `allowedPrefill` (when set) gets 403, as upstream's SSRF protection; a prefill
 *   error is passed to the client with its status and body; 502/503/504 are retried up to prefillMaxRetries.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export const PREFILL_HEADER = 'x-prefiller-host-port';
/** Simulator-only response header: the prefill server that ran the request's prompt. */
export const PREFILLED_BY_HEADER = 'x-prefilled-by';
const TOKEN_LIMIT_FIELDS = ['max_tokens', 'max_completion_tokens', 'min_tokens'];
const MAX_BODY_BYTES = 16 << 20;
const RETRYABLE = new Set([502, 503, 504]);

export interface SidecarOptions {
  /** The decode vLLM this sidecar fronts. */
  decoderHost: string;
  decoderPort: number;
  /** host:port prefill targets allowed; empty = any (upstream without --enable-ssrf-protection). */
  allowedPrefill?: readonly string[];
  /** Retries of a prefill leg answered 502/503/504 (upstream --prefill-max-retries, default 0). */
  prefillMaxRetries?: number;
}

/** Counts for tests and the dev stack's summary. */
export interface SidecarStats {
  decodeOnly: number;
  disaggregated: number;
  forbidden: number;
  prefillErrors: number;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class RoutingSidecar {
  readonly stats: SidecarStats = { decodeOnly: 0, disaggregated: 0, forbidden: 0, prefillErrors: 0 };
  readonly #o: SidecarOptions;
  readonly #allowed: ReadonlySet<string>;
  readonly #server: Server;

  constructor(options: SidecarOptions) {
    this.#o = options;
    this.#allowed = new Set(options.allowedPrefill ?? []);
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve(this.#server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.headers[PREFILL_HEADER];
    delete req.headers[PREFILL_HEADER];
    const first = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',')[0]!.trim();
    if (first === '' || req.method !== 'POST') {
      this.stats.decodeOnly++;
      this.#pipeToDecoder(req, res, null);
      return;
    }
    if (this.#allowed.size > 0 && !this.#allowed.has(first)) {
      this.stats.forbidden++;
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden: prefill target not allowed by SSRF protection\n');
      req.resume();
      return;
    }
    readBody(req)
      .then((body) => this.#disaggregate(req, res, first, body))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
      });
  }

  async #disaggregate(req: IncomingMessage, res: ServerResponse, prefill: string, body: Buffer): Promise<void> {
    let original: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(body.toString('utf8'));
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      original = v as Record<string, unknown>;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'request body is not a JSON object', code: 400 } }));
      return;
    }
    const prefillBody: Record<string, unknown> = { ...original, stream: false };
    delete prefillBody.stream_options;
    for (const f of TOKEN_LIMIT_FIELDS) prefillBody[f] = 1;
    prefillBody.kv_transfer_params = { do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null };
    const [host, port] = splitHostPort(prefill);
    const requestId = randomUUID();
    let reply: Reply | null = null;
    for (let attempt = 0; attempt <= (this.#o.prefillMaxRetries ?? 0); attempt++) {
      try {
        reply = await post(host, port, req.url ?? '/', { ...forwardable(req), 'x-request-id': requestId }, Buffer.from(JSON.stringify(prefillBody)));
      } catch (err) {
        reply = { status: 502, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`prefill ${prefill}: ${(err as Error).message}\n`) };
      }
      if (!RETRYABLE.has(reply.status)) break;
    }
    if (reply === null || reply.status >= 400) {
      this.stats.prefillErrors++;
      const r = reply as Reply;
      res.writeHead(r.status, r.headers).end(r.body);
      return;
    }
    let kv: unknown = null;
    try {
      kv = (JSON.parse(reply.body.toString('utf8')) as { kv_transfer_params?: unknown }).kv_transfer_params ?? null;
    } catch {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('prefill response is not JSON\n');
      return;
    }
    this.stats.disaggregated++;
    const decodeBody = Buffer.from(JSON.stringify({ ...original, kv_transfer_params: kv }));
    this.#pipeToDecoder(req, res, decodeBody, requestId, prefill);
  }

  /** Sends the request (its own body when `body` is null) to the decoder and streams the answer back. */
  /** `prefilledBy` goes back in the simulator's x-prefilled-by response header, so a curl -i shows both stages. */
  #pipeToDecoder(req: IncomingMessage, res: ServerResponse, body: Buffer | null, requestId?: string, prefilledBy?: string): void {
    const headers = forwardable(req);
    if (requestId) headers['x-request-id'] = requestId;
    if (body !== null) headers['content-length'] = String(body.length);
    const up = httpRequest({ host: this.#o.decoderHost, port: this.#o.decoderPort, method: req.method, path: req.url, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, prefilledBy ? { ...ur.headers, [PREFILLED_BY_HEADER]: prefilledBy } : ur.headers);
      ur.pipe(res);
    });
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`decoder: ${err.message}\n`);
      else res.destroy();
    });
    // The client went away: so does the decode leg (the decoder aborts the request and frees its blocks).
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (body === null) req.pipe(up);
    else up.end(body);
  }
}

function forwardable(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === 'host' || k === 'content-length' || k === 'connection' || k === 'transfer-encoding') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function splitHostPort(hp: string): [string, number] {
  const cut = hp.lastIndexOf(':');
  const host = hp.slice(0, cut).replace(/^\[|\]$/g, '');
  return [host, Number(hp.slice(cut + 1))];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new Error('body too large')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function post(host: string, port: number, path: string, headers: Record<string, string>, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host, port, method: 'POST', path, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && k !== 'content-length' && k !== 'transfer-encoding') h[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    r.setTimeout(600_000, () => r.destroy(new Error('prefill timed out')));
    r.on('error', reject);
    r.end(body);
  });
}
