/**
 * The ext_proc gRPC server: TLS with a generated self-signed certificate by default (as upstream), a real one
 * from --cert-path (reloaded on change with --enable-cert-reload), or plaintext h2c with --secure-serving=false.
 * --tls-min-version and --tls-cipher-suites apply to either certificate, as upstream. Graceful shutdown stops new streams and lets
 * in-flight ones finish. The transport is transport/h2-server.ts (gRPC on node:http2, see there for why).
 */
import { generate } from 'selfsigned';
import { CertWatcher, readCertPair } from '../tls/cert-watcher.ts';
import { EXT_PROC_SERVICE_NAME } from './codec/proto.ts';
import { ExtProcStream, type StreamOptions } from './stream.ts';
import { GrpcH2Server, type TlsMaterial } from './transport/h2-server.ts';
import type { ServingStatus } from './transport/health-check.ts';

export interface TlsOptions {
  secure: boolean;
  /** Directory with tls.crt and tls.key; '' = self-signed. */
  certPath: string;
  minVersion?: TlsMaterial['minVersion'];
  ciphers?: string | undefined;
}

/** Server credentials per the flags: null for plaintext h2c. */
export async function serverCredentials(tls: TlsOptions): Promise<TlsMaterial | null> {
  if (!tls.secure) return null;
  const settings = { ...(tls.minVersion ? { minVersion: tls.minVersion } : {}), ...(tls.ciphers ? { ciphers: tls.ciphers } : {}) };
  if (tls.certPath) return { ...readCertPair(tls.certPath), ...settings };
  const pems = await generate([{ name: 'commonName', value: 'epp' }], {
    // EC P-256: generated in milliseconds, where RSA-2048 key generation takes a noticeable part of startup.
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), ...settings };
}

export interface ExtProcServer {
  readonly server: GrpcH2Server;
  readonly port: number;
  /** Streams currently open. */
  activeStreams(): number;
  /** Resolves when no stream is open (after every request's accounting was released). */
  idle(): Promise<void>;
  /** Stops accepting streams, waits for open ones up to `graceMs`, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
  /** With `certReload`: emits 'reloaded' / 'reloadFailed' per change of the directory. */
  readonly certWatcher: CertWatcher | undefined;
}

export interface CertReloadOptions {
  /** --cert-path. */
  dir: string;
  /** Tests shorten it. */
  debounceMs?: number;
}

export const PROCESS_PATH = `/${EXT_PROC_SERVICE_NAME}/Process`;
/** Large prompts arrive as a few big body chunks. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export async function startExtProcServer(
  host: string,
  port: number,
  credentials: TlsMaterial | null,
  streamOptions: Omit<StreamOptions, 'onClose'>,
  healthCheck?: (service: string) => ServingStatus,
  certReload?: CertReloadOptions,
): Promise<ExtProcServer> {
  let open = 0;
  const idleWaiters: (() => void)[] = [];
  const onClose = () => {
    open--;
    if (open === 0) for (const w of idleWaiters.splice(0)) w();
  };
  const options: StreamOptions = { ...streamOptions, onClose };
  const server = new GrpcH2Server({
    path: PROCESS_PATH,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    tls: credentials,
    healthCheck,
    onAbuse: (what, remote) => streamOptions.logger.warn({ remote }, `ext_proc connection: ${what}`),
    onCall: (call) => {
      open++;
      call.start(new ExtProcStream(call, options));
    },
  });
  const bound = await server.listen(host, port);
  let certWatcher: CertWatcher | undefined;
  if (certReload && credentials) {
    const log = streamOptions.logger;
    certWatcher = new CertWatcher(certReload.dir, (pair) => server.setCertificate(pair), certReload.debounceMs);
    certWatcher.on('reloaded', () => log.info({ certPath: certReload.dir }, 'ext_proc TLS certificate reloaded'));
    certWatcher.on('reloadFailed', (err) => log.error({ certPath: certReload.dir, err: err.message }, 'ext_proc TLS certificate reload failed; the current one stays'));
  }
  return {
    server,
    port: bound,
    certWatcher,
    activeStreams: () => open,
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    shutdown: (graceMs) => {
      certWatcher?.close();
      return server.shutdown(graceMs);
    },
  };
}
