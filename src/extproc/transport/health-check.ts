/**
 * grpc.health.v1.Health/Check answered on the ext_proc port itself: Envoy's reference config health-checks the
 * ext_proc cluster there (service envoy.service.ext_proc.v3.ExternalProcessor). Unary, two tiny messages:
 * HealthCheckRequest{string service = 1}, HealthCheckResponse{ServingStatus status = 1}.
 */
import type { ServerHttp2Stream } from 'node:http2';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const STATUS_NUMBER: Record<ServingStatus, number> = { SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 };
const MAX_REQUEST = 64 * 1024;

/** The service name in a framed HealthCheckRequest ('' when absent); undefined when malformed. */
export function decodeHealthCheckRequest(framed: Buffer): string | undefined {
  if (framed.length < 5 || framed[0] !== 0) return undefined;
  const msg = framed.subarray(5, 5 + framed.readUInt32BE(1));
  let service = '';
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++]!;
    let len = 0;
    let shift = 0;
    if ((tag & 7) === 0) {
      while (i < msg.length && msg[i++]! & 0x80);
      continue;
    }
    if ((tag & 7) !== 2) return undefined;
    for (;;) {
      const b = msg[i++];
      if (b === undefined) return undefined;
      len |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    if (i + len > msg.length) return undefined;
    if (tag === 0x0a) service = msg.toString('utf8', i, i + len);
    i += len;
  }
  return service;
}

export function encodeHealthCheckResponse(status: ServingStatus): Buffer {
  return Buffer.from([0, 0, 0, 0, 2, 0x08, STATUS_NUMBER[status]]);
}

/** Reads the request, answers with the status `check` gives, grpc-status 0 in trailers. */
export function serveHealthCheck(stream: ServerHttp2Stream, check: (service: string) => ServingStatus): void {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_REQUEST) chunks.push(c);
  });
  stream.on('end', () => {
    if (stream.destroyed) return;
    const service = decodeHealthCheckRequest(Buffer.concat(chunks));
    if (service === undefined) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '13', 'grpc-message': 'malformed HealthCheckRequest' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(encodeHealthCheckResponse(check(service)));
  });
}
