/**
 * Child process: the no-op ext_proc server the picker is measured against. Plain @grpc/grpc-js with the
 * @grpc/proto-loader service built from the same protos (src/extproc/codec/proto.ts), answering every message with
 * the matching empty response. In FULL_DUPLEX_STREAMED it does what any body-reading processor must: waits
 * for the request body, answers the headers, then streams the body chunks back as they came; response body
 * chunks are streamed back at once.
 *
 * Run by bench/overhead/extproc.bench.ts: node bench/overhead/extproc-cost/noop-server.ts
 */
import * as grpc from '@grpc/grpc-js';
import { extProcService, type ProcessingRequest, type ProcessingResponse } from '../../../src/extproc/codec/proto.ts';
import { ready, serveStats } from './child-stats.ts';

const EMPTY = {};
const REQUEST_HEADERS: ProcessingResponse = { request_headers: { response: EMPTY } };
const RESPONSE_HEADERS: ProcessingResponse = { response_headers: { response: EMPTY } };
const REQUEST_BODY: ProcessingResponse = { request_body: { response: EMPTY } };
const RESPONSE_BODY: ProcessingResponse = { response_body: { response: EMPTY } };

function handle(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>): void {
  let fullDuplex = false;
  let held: ProcessingRequest[] = [];
  let ended = false;
  const write = (m: ProcessingResponse) => {
    if (!ended) call.write(m);
  };
  call.on('data', (m: ProcessingRequest) => {
    if (m.protocol_config) fullDuplex = m.protocol_config.request_body_mode === 'FULL_DUPLEX_STREAMED';
    switch (m.request) {
      case 'request_headers':
        if (!fullDuplex || m.request_headers?.end_of_stream) write(REQUEST_HEADERS);
        return;
      case 'request_body':
        if (!fullDuplex) return write(REQUEST_BODY);
        held.push(m);
        if (m.request_body?.end_of_stream) {
          write(REQUEST_HEADERS);
          for (const h of held) {
            write({ request_body: { response: { body_mutation: { streamed_response: { body: h.request_body!.body ?? Buffer.alloc(0), end_of_stream: h.request_body!.end_of_stream === true } } } } });
          }
          held = [];
        }
        return;
      case 'response_headers':
        return write(RESPONSE_HEADERS);
      case 'response_body':
        if (!fullDuplex) return write(RESPONSE_BODY);
        return write({ response_body: { response: { body_mutation: { streamed_response: { body: m.response_body!.body ?? Buffer.alloc(0), end_of_stream: m.response_body!.end_of_stream === true } } } } });
      case 'request_trailers':
        return write({ request_trailers: {} });
      case 'response_trailers':
        return write({ response_trailers: {} });
      default:
        return;
    }
  });
  call.on('end', () => {
    if (!ended) {
      ended = true;
      call.end();
    }
  });
  call.on('cancelled', () => (ended = true));
  call.on('error', () => (ended = true));
}

const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
// Envoy resets every ext_proc stream after its half-close, and nghttp2's default reset budget (1,000, refilled
// at 33/s) makes a plain grpc-js server send GOAWAY after ~1,000 such requests: the driver's connections fail.
// grpc-js has no option for it, so its private http2 options are patched here (the picker's own transport
// sets it, see src/extproc/transport/h2-server.ts). Without this line this server cannot be measured at all.
Object.assign((server as unknown as { commonServerOptions: object }).commonServerOptions, { streamResetBurst: 2 ** 31 - 1, streamResetRate: 2 ** 31 - 1 });
server.addService(extProcService(), { Process: handle });
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
);
serveStats();
ready({ port, address: `127.0.0.1:${port}` });
