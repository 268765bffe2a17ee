/**
 * Speaks ext_proc to the picker the way Envoy does: one Process stream per HTTP request, header values in
 * raw_value (value empty), lower-cased keys with pseudo-headers, protocol_config on the first message only,
 * body chunks in FULL_DUPLEX_STREAMED or one BUFFERED body, then half-close followed by a reset (CANCELLED).
 */
import * as grpc from '@grpc/grpc-js';
import { extProcClientConstructor, type BodySendMode, type PbStruct, type ProcessingRequest, type ProcessingResponse } from '../../src/extproc/codec/proto.ts';

export interface EnvoyRequest {
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  /** JSON object (serialised) or raw text/bytes. Omit for a header-only request. */
  body?: unknown;
  /** Split the body into chunks of this size (FULL_DUPLEX); default one chunk. */
  chunkSize?: number;
  requestBodyMode?: BodySendMode;
  responseBodyMode?: BodySendMode;
  /** Send protocol_config on the first message (Envoy >= 1.34). Default true. */
  protocolConfig?: boolean;
  /** envoy.lb.subset_hint list. */
  subset?: string[];
  /** Request trailers after the body (the body's last chunk then has end_of_stream false). */
  trailers?: Record<string, string>;
}

export interface EnvoyResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Body chunks the model server returns. */
  chunks?: (string | Buffer)[];
  trailers?: Record<string, string>;
  /** envoy.lb x-gateway-destination-endpoint-served on the response path. */
  served?: string;
}

export function headerMap(h: Record<string, string>) {
  return { headers: Object.entries(h).map(([key, v]) => ({ key: key.toLowerCase(), raw_value: Buffer.from(v) })) };
}

function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

function listStruct(key: string, values: string[]): PbStruct {
  return { fields: { [key]: { listValue: { values: values.map((stringValue) => ({ stringValue })) } } } };
}

export class EnvoyDriver {
  readonly client: grpc.Client & { Process: (md?: grpc.Metadata) => grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> };

  constructor(address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}) {
    const Ctor = extProcClientConstructor();
    this.client = new Ctor(address, credentials, options) as unknown as EnvoyDriver['client'];
  }

  close(): void {
    this.client.close();
  }

  /** Opens a stream; returns helpers to send and to await responses in order. */
  open(): ExtProcSession {
    return new ExtProcSession(this.client.Process());
  }

  /**
   * Runs the request phase as Envoy would and returns every response up to (and including) the one that
   * completes the request phase: the headers response plus the echoed body (FULL_DUPLEX), or the body response
   * (BUFFERED), or an immediate response.
   */
  async request(r: EnvoyRequest): Promise<{ session: ExtProcSession; responses: ProcessingResponse[] }> {
    const s = this.open();
    const mode = r.requestBodyMode ?? 'FULL_DUPLEX_STREAMED';
    const headers: Record<string, string> = { ':method': r.method ?? 'POST', ':path': r.path ?? '/v1/completions', ':authority': 'gateway', ':scheme': 'http', 'content-type': 'application/json', ...r.headers };
    const body = r.body === undefined ? null : bodyBytes(r.body);
    if (body) headers['content-length'] = String(body.length);
    const first: ProcessingRequest = { request_headers: { headers: headerMap(headers), end_of_stream: body === null } };
    if (r.protocolConfig !== false) first.protocol_config = { request_body_mode: mode, response_body_mode: r.responseBodyMode ?? 'FULL_DUPLEX_STREAMED' };
    if (r.subset) first.metadata_context = { filter_metadata: { 'envoy.lb.subset_hint': listStruct('x-gateway-destination-endpoint-subset', r.subset) } };
    s.send(first);
    const out: ProcessingResponse[] = [];
    if (body === null) {
      out.push(await s.next());
      return { session: s, responses: out };
    }
    if (mode === 'BUFFERED') {
      const h = await s.next();
      out.push(h);
      if (h.immediate_response) return { session: s, responses: out };
      s.send({ request_body: { body, end_of_stream: true } });
      out.push(await s.next());
      return { session: s, responses: out };
    }
    // FULL_DUPLEX_STREAMED: send everything without waiting.
    const size = r.chunkSize ?? body.length;
    for (let off = 0; off < body.length; off += size) {
      const last = off + size >= body.length;
      s.send({ request_body: { body: body.subarray(off, off + size), end_of_stream: last && !r.trailers } });
    }
    if (r.trailers) s.send({ request_trailers: { trailers: headerMap(r.trailers) } });
    const h = await s.next();
    out.push(h);
    if (h.immediate_response) return { session: s, responses: out };
    // Echoed body until end_of_stream (or, with trailers, until the trailers response).
    for (;;) {
      const m = await s.next();
      out.push(m);
      if (m.request_trailers) break;
      const sr = m.request_body?.response?.body_mutation?.streamed_response;
      if (sr?.end_of_stream) break;
      if (r.trailers && !sr) break;
    }
    return { session: s, responses: out };
  }

  /** Runs the response phase (FULL_DUPLEX response body) and returns the responses. */
  async respond(s: ExtProcSession, resp: EnvoyResponse, mode: BodySendMode = 'FULL_DUPLEX_STREAMED'): Promise<ProcessingResponse[]> {
    const out: ProcessingResponse[] = [];
    const chunks = resp.chunks ?? [];
    const msg: ProcessingRequest = {
      response_headers: { headers: headerMap({ ':status': String(resp.status ?? 200), ...resp.headers }), end_of_stream: chunks.length === 0 && !resp.trailers },
    };
    if (resp.served) msg.metadata_context = { filter_metadata: { 'envoy.lb': { fields: { 'x-gateway-destination-endpoint-served': { stringValue: resp.served } } } } };
    s.send(msg);
    out.push(await s.next());
    for (let i = 0; i < chunks.length; i++) {
      const last = i === chunks.length - 1 && !resp.trailers;
      s.send({ response_body: { body: Buffer.from(chunks[i]!), end_of_stream: last } });
      if (mode === 'FULL_DUPLEX_STREAMED' || mode === 'STREAMED' || last) out.push(await s.next());
    }
    if (resp.trailers) {
      s.send({ response_trailers: { trailers: headerMap(resp.trailers) } });
      out.push(await s.next());
    }
    return out;
  }
}

/** One Process stream with an in-order response queue. */
export class ExtProcSession {
  readonly call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;
  #queue: ProcessingResponse[] = [];
  #waiters: { resolve: (m: ProcessingResponse) => void; reject: (e: Error) => void }[] = [];
  #ended: Error | null = null;
  readonly done: Promise<grpc.StatusObject>;

  constructor(call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>) {
    this.call = call;
    call.on('data', (m: ProcessingResponse) => {
      const w = this.#waiters.shift();
      if (w) w.resolve(m);
      else this.#queue.push(m);
    });
    const fail = (e: Error) => {
      this.#ended = e;
      for (const w of this.#waiters.splice(0)) w.reject(e);
    };
    call.on('error', (e: Error) => fail(e));
    call.on('end', () => fail(new Error('stream ended by the server')));
    this.done = new Promise((resolve) => call.on('status', resolve));
  }

  send(m: ProcessingRequest): void {
    this.call.write(m);
  }

  next(): Promise<ProcessingResponse> {
    const m = this.#queue.shift();
    if (m) return Promise.resolve(m);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Responses received but not yet taken. */
  pending(): number {
    return this.#queue.length;
  }

  /** What Envoy does at the end of a request: half-close, then reset. */
  close(): void {
    this.call.end();
    this.call.cancel();
  }
}

/** The header value the picker set, read from raw_value (and checks value is unset). */
export function mutatedHeader(r: ProcessingResponse, key: string, phase: 'request_headers' | 'request_body' | 'response_headers' = 'request_headers'): string | undefined {
  const set = r[phase]?.response?.header_mutation?.set_headers ?? [];
  for (const o of set) {
    if (o.header.key === key) {
      if (o.header.value) throw new Error(`header ${key} has value set: Envoy rejects value+raw_value`);
      return o.header.raw_value ? Buffer.from(o.header.raw_value).toString() : '';
    }
  }
  return undefined;
}

export function lbMetadata(r: ProcessingResponse): string | undefined {
  return r.dynamic_metadata?.fields?.['envoy.lb']?.structValue?.fields?.['x-gateway-destination-endpoint']?.stringValue;
}
