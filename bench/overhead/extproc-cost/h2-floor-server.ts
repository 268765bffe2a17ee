/**
 * Child process: the floor under any Node ext_proc server, for scale. Raw node:http2 with no gRPC library and
 * no protobuf decoding: reads the oneof field number of each request and answers with a pre-encoded empty
 * response of the matching kind (FULL_DUPLEX bodies are echoed by rewrapping the bytes). Not a usable server:
 * it only shows how much of a server's CPU per request Node's HTTP/2 itself costs.
 *
 * Run by bench/overhead/extproc.bench.ts (--servers ...,floor): node bench/overhead/extproc-cost/h2-floor-server.ts
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ready, serveStats } from './child-stats.ts';
import { frame } from './grpc-frames.ts';

// Pre-encoded empty responses: ProcessingResponse{<field>: {}} = tag, length 0.
const EMPTY = (field: number) => frame(Buffer.from([(field << 3) | 2, 0]));
const RESP = [EMPTY(0), EMPTY(1), EMPTY(2), EMPTY(3), EMPTY(4), EMPTY(5), EMPTY(6)];

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** Echo: ProcessingResponse{request_body|response_body: {response: {body_mutation: {streamed_response: {body, eos}}}}}. */
function echo(field: number, body: Buffer, eos: boolean): Buffer {
  const sbr = Buffer.concat([Buffer.from([0x0a, ...varint(body.length)]), body, eos ? Buffer.from([0x10, 1]) : Buffer.alloc(0)]);
  const mut = Buffer.concat([Buffer.from([0x1a, ...varint(sbr.length)]), sbr]);
  const common = Buffer.concat([Buffer.from([0x1a, ...varint(mut.length)]), mut]);
  const bodyResp = Buffer.concat([Buffer.from([0x0a, ...varint(common.length)]), common]);
  return frame(Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bodyResp.length)]), bodyResp]));
}

/** HttpBody{body=1, end_of_stream=2} inside ProcessingRequest field 4/5. */
function readBody(msg: Buffer): { body: Buffer; eos: boolean } {
  let p = 0;
  const vi = () => {
    let r = 0;
    let s = 0;
    for (;;) {
      const b = msg[p++]!;
      r += (b & 0x7f) * 2 ** s;
      if (b < 0x80) return r;
      s += 7;
    }
  };
  let body: Buffer = Buffer.alloc(0);
  let eos = false;
  while (p < msg.length) {
    const tag = vi();
    if ((tag & 7) !== 2) {
      vi();
      continue;
    }
    const len = vi();
    if (tag >>> 3 === 4 || tag >>> 3 === 5) {
      const end = p + len;
      while (p < end) {
        const t = vi();
        if (t === 0x0a) {
          const l = vi();
          body = msg.subarray(p, p + l);
          p += l;
        } else if (t === 0x10) eos = vi() !== 0;
        else if ((t & 7) === 2) p += vi();
        else vi();
      }
    } else p += len;
  }
  return { body, eos };
}

const server = http2.createServer({ streamResetBurst: 1e9, streamResetRate: 1e9 });
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  let pending: Buffer | null = null;
  let held: Buffer[] = [];
  let fullDuplex = false;
  stream.on('data', (chunk: Buffer) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    let off = 0;
    while (buf.length - off >= 5) {
      const len = buf.readUInt32BE(off + 1);
      if (buf.length - off - 5 < len) break;
      const msg = buf.subarray(off + 5, off + 5 + len);
      off += 5 + len;
      // The oneof is the first field Envoy writes; protocol_config (11) comes after it.
      const field = msg[0]! >>> 3;
      if (field === 2) {
        fullDuplex = msg.includes(Buffer.from([0x5a])) && msg[msg.length - 1] === 4; // protocol_config request_body_mode
        if (!fullDuplex) stream.write(RESP[1]);
      } else if (field === 4) {
        if (!fullDuplex) {
          stream.write(RESP[3]);
          continue;
        }
        const b = readBody(msg);
        held.push(echo(3, Buffer.from(b.body), b.eos));
        if (b.eos) {
          stream.write(RESP[1]);
          for (const h of held) stream.write(h);
          held = [];
        }
      } else if (field === 3) {
        stream.write(RESP[2]);
      } else if (field === 5) {
        if (!fullDuplex) stream.write(RESP[4]);
        else {
          const b = readBody(msg);
          stream.write(echo(4, Buffer.from(b.body), b.eos));
        }
      }
    }
    if (off < buf.length) pending = buf.subarray(off);
  });
  stream.on('end', () => stream.end());
  stream.on('error', () => {});
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
serveStats();
ready({ port, address: `127.0.0.1:${port}` });
