/**
 * The ext_proc gRPC server: TLS with a generated self-signed certificate by default (as upstream), a real one
 * from --cert-path, or plaintext h2c with --secure-serving=false. Graceful shutdown stops new streams and lets
 * in-flight ones finish.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { generate } from 'selfsigned';
import { extProcService, type ProcessingRequest, type ProcessingResponse } from './proto.ts';
import { ExtProcStream, type StreamOptions } from './stream.ts';

export interface TlsOptions {
  secure: boolean;
  /** Directory with tls.crt and tls.key; '' = self-signed. */
  certPath: string;
}

/** Server credentials per the flags. */
export async function serverCredentials(tls: TlsOptions): Promise<grpc.ServerCredentials> {
  if (!tls.secure) return grpc.ServerCredentials.createInsecure();
  let cert: Buffer;
  let key: Buffer;
  if (tls.certPath) {
    cert = readFileSync(join(tls.certPath, 'tls.crt'));
    key = readFileSync(join(tls.certPath, 'tls.key'));
  } else {
    const pems = await generate([{ name: 'commonName', value: 'epp' }], {
      // EC P-256: generated in milliseconds, where RSA-2048 key generation takes a noticeable part of startup.
      keyType: 'ec',
      curve: 'P-256',
      notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    cert = Buffer.from(pems.cert);
    key = Buffer.from(pems.private);
  }
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
}

export interface ExtProcServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** Streams currently open. */
  activeStreams(): number;
  /** Resolves when no stream is open (after every request's accounting was released). */
  idle(): Promise<void>;
  /** Stops accepting streams, waits for open ones up to `graceMs`, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
}

const SERVER_OPTIONS: grpc.ServerOptions = {
  // Large prompts arrive as a few big body chunks; Envoy's default stream window is generous too.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.keepalive_permit_without_calls': 1,
};

export async function startExtProcServer(
  host: string,
  port: number,
  credentials: grpc.ServerCredentials,
  streamOptions: Omit<StreamOptions, 'onClose'>,
): Promise<ExtProcServer> {
  const server = new grpc.Server(SERVER_OPTIONS);
  let open = 0;
  const idleWaiters: (() => void)[] = [];
  const onClose = () => {
    open--;
    if (open === 0) for (const w of idleWaiters.splice(0)) w();
  };
  const options: StreamOptions = { ...streamOptions, onClose };
  server.addService(extProcService(), {
    Process: (call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
      open++;
      new ExtProcStream(call, options);
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    server,
    port: bound,
    activeStreams: () => open,
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
