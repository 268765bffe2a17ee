/**
 * The local gateway: an HTTP front end that stands in for Envoy. Per request, in `extproc` mode it does what
 * Envoy's ext_proc filter does in FULL_DUPLEX_STREAMED mode (request/response headers SEND, bodies
 * FULL_DUPLEX_STREAMED): opens one Process stream to the picker, sends the request headers (with
 * protocol_config) and every body chunk as it arrives, applies the request-headers mutation, routes to the
 * first `x-gateway-destination-endpoint` entry (ORIGINAL_DST), forwards the streamed body the picker
 * returns, then sends the upstream response headers (with the served endpoint in metadata_context
 * `envoy.lb`) and each response chunk through the picker and writes back what it returns. An
 * immediate_response answers the client directly. Closing = half-close, then cancel (Envoy's close()).
 * In `baseline` mode there is no picker: the gateway balances over a fixed endpoint list itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Agent } from 'undici';
import { extProcClientConstructor, type ProcessingRequest, type ProcessingResponse, type StreamedBodyResponse } from '../../../src/extproc/codec/proto.ts';
import { baseline, type BaselineBalancer, type BaselineName } from './baselines.ts';
import { Rng } from '../../sim/rng.ts';
import { applyMutation, get, httpStatus, MutationError, outgoingHeaders, requestHeaderList, servedMetadata, toHeaderMap, type HeaderList } from './envoy-rules.ts';
import { Inbox } from './inbox.ts';

export type GatewayPolicy =
  /** `target`: host:port of the picker, or several comma-separated (active-active replicas: round-robin per request, as Envoy's default). */
  | { kind: 'extproc'; target: string; failureModeAllow: boolean }
  | { kind: 'baseline'; name: BaselineName }
  | { kind: 'router'; router: BodyRouter };

/**
 * A router inside the gateway that reads the request body (a peer router's algorithm in the routing study's
 * end-to-end mode): it picks an endpoint and hears when the response starts and ends.
 */
export interface BodyRouter {
  route(path: string, body: Buffer, n: number): RoutedRequest;
}
export interface RoutedRequest {
  readonly index: number;
  /** The first response body chunk arrived (the first token). */
  firstChunk(): void;
  /** The response ended (or failed). */
  done(): void;
}

const MAX_ROUTED_BODY = 64 << 20;

export interface GatewayOptions {
  policy: GatewayPolicy;
  /** ip:port of the model servers (baseline mode, and fail-open fallback in extproc mode). */
  endpoints: readonly string[];
  seed?: number;
}

const DESTINATION = 'x-gateway-destination-endpoint';
const EMPTY = Buffer.alloc(0);
/** Envoy drops content-length on the way to the client when the body is streamed through ext_proc. */
const DROP_RESPONSE = new Set(['content-length']);

interface ExtProcCall extends grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> {}

export class Gateway {
  readonly #options: GatewayOptions;
  readonly #server: Server;
  readonly #agent = new Agent({ connections: 512, keepAliveTimeout: 30_000 });
  /** One per picker replica; empty outside extproc mode. */
  readonly #clients: grpc.Client[] = [];
  #nextClient = 0;
  readonly #balancer: BaselineBalancer;
  /** Upstream response headers waiting for the picker's response_headers answer, per call. */
  readonly #pendingResponse = new WeakMap<ExtProcCall, { headers: HeaderList; bodyless: boolean }>();
  readonly #endpoints: string[];
  /** Requests answered, by served endpoint (or "local" for immediate responses). */
  readonly served = new Map<string, number>();

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#endpoints = [...options.endpoints];
    const rng = new Rng(options.seed ?? 1);
    if (options.policy.kind === 'extproc') {
      const Ctor = extProcClientConstructor();
      for (const target of options.policy.target.split(',')) {
        this.#clients.push(
          new Ctor(target.trim(), grpc.credentials.createInsecure(), {
            'grpc.keepalive_time_ms': 30_000,
            'grpc.max_receive_message_length': 16 << 20,
          }),
        );
      }
      // Fail-open fallback only: Envoy picks "an endpoint of its choosing".
      this.#balancer = baseline('random', () => rng.next());
    } else {
      this.#balancer = baseline(options.policy.kind === 'baseline' ? options.policy.name : 'random', () => rng.next());
    }
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => this.#fail(res, 500, `gateway error: ${(err as Error).message}`));
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve(this.#server.address() as AddressInfo));
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const c of this.#clients) c.close();
    await this.#agent.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200).end('ok');
      return;
    }
    const clients = this.#clients;
    if (clients.length > 0) return this.#viaExtProc(req, res, clients[this.#nextClient++ % clients.length]!);
    if (this.#endpoints.length === 0) return this.#fail(res, 503, 'no endpoints');
    if (this.#options.policy.kind === 'router') return this.#viaRouter(req, res, this.#options.policy.router);
    const balancer = this.#balancer;
    const i = balancer.pick(this.#endpoints.length);
    const endpoint = this.#endpoints[i] as string;
    try {
      await this.#proxyPlain(req, res, endpoint);
    } finally {
      balancer.release(i);
    }
  }

  async #viaRouter(req: IncomingMessage, res: ServerResponse, router: BodyRouter): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_ROUTED_BODY) return this.#fail(res, 413, 'request body too large');
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks);
    const routed = router.route(req.url ?? '/', body, this.#endpoints.length);
    try {
      await this.#proxyPlain(req, res, this.#endpoints[routed.index] as string, body, () => routed.firstChunk());
    } finally {
      routed.done();
    }
  }

  // ------------------------------------------------------------------ baseline: plain reverse proxy

  /**
   * `body`: the request body already read (fail-open replay, router mode); otherwise the request is streamed.
   * `onFirstChunk`: called once, when the first response body chunk arrives.
   */
  async #proxyPlain(req: IncomingMessage, res: ServerResponse, endpoint: string, body?: Buffer, onFirstChunk?: () => void): Promise<void> {
    const list = requestHeaderList(req.method ?? 'GET', req.url ?? '/', req.rawHeaders);
    if (!get(list, 'x-request-id')) list.push(['x-request-id', randomUUID()]);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let up;
    try {
      up = await this.#agent.request({
        origin: `http://${endpoint}`,
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as 'GET',
        headers: outgoingHeaders(list),
        body: body ?? (hasBody(req) ? req : null),
        signal: abort.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (err) {
      return this.#fail(res, 503, `upstream connect error: ${(err as Error).message}`);
    }
    this.#count(endpoint);
    res.writeHead(up.statusCode, outgoingHeaders(Object.entries(up.headers).flatMap(flattenHeader)));
    try {
      let first = onFirstChunk;
      for await (const chunk of up.body) {
        if (first) {
          first();
          first = undefined;
        }
        res.write(chunk);
      }
      res.end();
    } catch {
      res.destroy();
    }
  }

  // ------------------------------------------------------------------ extproc: Envoy FULL_DUPLEX_STREAMED

  async #viaExtProc(req: IncomingMessage, res: ServerResponse, client: grpc.Client): Promise<void> {
    const Ctor = client as unknown as { Process(): ExtProcCall };
    const call = Ctor.Process();
    const inbox = new Inbox<ProcessingResponse>(call);
    const failOpen = this.#options.policy.kind === 'extproc' && this.#options.policy.failureModeAllow;
    const list = requestHeaderList(req.method ?? 'GET', req.url ?? '/', req.rawHeaders);
    if (!get(list, 'x-request-id')) list.push(['x-request-id', randomUUID()]);
    const bodyless = !hasBody(req);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      call.end();
      setImmediate(() => call.cancel());
    };
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) {
        abort.abort();
        close();
      }
    });

    call.write({
      request_headers: { headers: toHeaderMap(list), end_of_stream: bodyless },
      protocol_config: { request_body_mode: 'FULL_DUPLEX_STREAMED', response_body_mode: 'FULL_DUPLEX_STREAMED' },
    });
    // Envoy holds the chunks it streamed to the picker, so a fail-open continuation can still send them.
    const held: Buffer[] = [];
    const bodyRead = new Promise<Buffer>((resolve) => {
      if (bodyless) return resolve(EMPTY);
      req.on('data', (chunk: Buffer) => {
        held.push(chunk);
        if (!closed) call.write({ request_body: { body: chunk, end_of_stream: false } });
      });
      req.on('end', () => {
        if (!closed) call.write({ request_body: { body: EMPTY, end_of_stream: true } });
        resolve(Buffer.concat(held));
      });
    });

    let upstreamBody: PassThrough | null = null;
    let endpoint = '';
    let headersSent = false;
    let routed = false;
    for (let guard = 0; guard < 10_000_000; guard++) {
      let m: ProcessingResponse | null;
      try {
        m = await inbox.next();
      } catch (err) {
        // gRPC error from the picker: failure_mode_allow decides (extproc.md §5.6).
        if (closed) return;
        close();
        if (failOpen && !routed) return this.#proxyFallback(req, res, await bodyRead);
        if (!headersSent) return this.#fail(res, 500, `ext_proc_error_gRPC_error: ${(err as Error).message}`);
        res.destroy();
        return;
      }
      if (m === null) {
        // Server closed the stream with OK: Envoy stops consulting it for this request.
        if (closed) return;
        close();
        if (!routed) return failOpen ? this.#proxyFallback(req, res, await bodyRead) : this.#fail(res, 500, 'ext_proc stream closed before routing');
        if (!headersSent) return this.#fail(res, 500, 'ext_proc stream closed during the response');
        res.end();
        return;
      }
      try {
        if (m.immediate_response) {
          const ir = m.immediate_response;
          const headers: HeaderList = [];
          applyMutation(headers, ir.headers);
          const status = httpStatus(ir.status?.code);
          close();
          this.#count('local');
          if (!headersSent) res.writeHead(status, outgoingHeaders(headers)).end(ir.body ?? EMPTY);
          else res.destroy();
          return;
        }
        if (m.request_headers) {
          applyMutation(list, m.request_headers.response?.header_mutation);
          endpoint = (get(list, DESTINATION) ?? '').split(',')[0]?.trim() ?? '';
          if (!endpoint) {
            close();
            return this.#fail(res, 503, 'no healthy upstream (no x-gateway-destination-endpoint)');
          }
          routed = true;
          upstreamBody = bodyless ? null : new PassThrough();
          void this.#upstream(call, list, endpoint, upstreamBody, abort.signal, () => closed).catch(() => {
            if (!closed) {
              close();
              if (!res.headersSent) this.#fail(res, 503, 'upstream connect error');
              else res.destroy();
            }
          });
        } else if (m.request_body) {
          const sr = streamed(m.request_body.response?.body_mutation?.streamed_response, 'request_body');
          if (!upstreamBody) throw new MutationError('request_body response before the request_headers response');
          if (sr.body && sr.body.length > 0) upstreamBody.write(sr.body);
          if (sr.end_of_stream) upstreamBody.end();
        } else if (m.response_headers) {
          const pending = this.#pendingResponse.get(call);
          if (!pending) throw new MutationError('response_headers response before response headers were sent');
          applyMutation(pending.headers, m.response_headers.response?.header_mutation);
          const status = Number(get(pending.headers, ':status') ?? 200);
          res.writeHead(status, outgoingHeaders(pending.headers, DROP_RESPONSE));
          headersSent = true;
          this.#count(endpoint);
          if (pending.bodyless) {
            res.end();
            close();
            return;
          }
          res.flushHeaders();
        } else if (m.response_body) {
          if (!headersSent) throw new MutationError('response_body response before the response_headers response');
          const sr = streamed(m.response_body.response?.body_mutation?.streamed_response, 'response_body');
          if (sr.body && sr.body.length > 0) res.write(sr.body);
          if (sr.end_of_stream) {
            res.end();
            close();
            return;
          }
        } else if (m.request_trailers || m.response_trailers) {
          // Not sent by this gateway (HTTP/1.1 without trailers): a spurious message.
          throw new MutationError('unexpected trailers response');
        } else {
          throw new MutationError('empty ProcessingResponse');
        }
      } catch (err) {
        if (!(err instanceof MutationError)) throw err;
        close();
        if (!headersSent) return this.#fail(res, 500, `ext_proc mutation error: ${err.message}`);
        res.destroy();
        return;
      }
    }
  }

  /** Sends the request upstream and feeds the upstream response through the ext_proc stream. */
  async #upstream(call: ExtProcCall, list: HeaderList, endpoint: string, body: PassThrough | null, signal: AbortSignal, isClosed: () => boolean): Promise<void> {
    const up = await this.#agent.request({
      origin: `http://${endpoint}`,
      path: get(list, ':path') ?? '/',
      method: (get(list, ':method') ?? 'GET') as 'GET',
      headers: outgoingHeaders(list),
      body,
      signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const respList: HeaderList = [[':status', String(up.statusCode)], ...Object.entries(up.headers).flatMap(flattenHeader)];
    const noBody = up.headers['content-length'] === '0';
    this.#pendingResponse.set(call, { headers: respList, bodyless: noBody });
    if (isClosed()) {
      up.body.destroy();
      return;
    }
    call.write({ response_headers: { headers: toHeaderMap(respList), end_of_stream: noBody }, metadata_context: servedMetadata(endpoint) });
    if (noBody) return;
    for await (const chunk of up.body) {
      if (isClosed()) {
        up.body.destroy();
        return;
      }
      call.write({ response_body: { body: chunk as Buffer, end_of_stream: false } });
    }
    if (!isClosed()) call.write({ response_body: { body: EMPTY, end_of_stream: true } });
  }

  /** Fail-open path: Envoy forwards to an endpoint of its own choosing. */
  async #proxyFallback(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    if (this.#endpoints.length === 0) return this.#fail(res, 503, 'no fallback endpoints');
    const i = this.#balancer.pick(this.#endpoints.length);
    await this.#proxyPlain(req, res, this.#endpoints[i] as string, body.length > 0 ? body : undefined);
  }

  #count(key: string): void {
    this.served.set(key, (this.served.get(key) ?? 0) + 1);
  }

  #fail(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain' }).end(message);
  }
}

function streamed(sr: StreamedBodyResponse | undefined, phase: string): StreamedBodyResponse {
  if (!sr) throw new MutationError(`${phase} response without streamed_response in FULL_DUPLEX_STREAMED mode`);
  return sr;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (req.headers['transfer-encoding']) return true;
  return len !== undefined && len !== '0';
}

function flattenHeader([k, v]: [string, string | string[] | undefined]): [string, string][] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]];
}
