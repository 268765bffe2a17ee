/**
 * CURVE encryption and authentication of the replica sync (ZMQ CURVE: Curve25519 keys, every frame encrypted).
 * The replicas of one picker share a keypair (one Kubernetes Secret, mounted as files): their PUB and snapshot
 * sockets are CURVE servers with it, and a peer connecting must know its public key. A ZAP handler (the ZMQ
 * authentication protocol, RFC 27) then admits only clients whose public key is in the allowed list (the
 * shared key, plus any given, e.g. during a key rotation). A process without the secret key cannot read a
 * batch or a snapshot, and cannot pose as a peer: the CURVE handshake with it fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zmq from 'zeromq';

/** This replica's CURVE keys (Z85, 40 characters each) and the client public keys admitted. */
export interface CurveKeys {
  readonly publicKey: string;
  readonly secretKey: string;
  readonly allowedPeers: ReadonlySet<string>;
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Z85 (ZMQ RFC 32) of bytes whose length is a multiple of 4: how ZAP's binary keys compare with configured ones. */
export function z85Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let v = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85[v % 85]! + chunk;
      v = Math.floor(v / 85);
    }
    out += chunk;
  }
  return out;
}

const KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** Z85 keys one a line ('#' comments and blank lines skipped). */
function keysIn(text: string, what: string): string[] {
  const keys = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const k of keys) if (!KEY.test(k)) throw new Error(`replica sync CURVE: ${what}: not a 40-character Z85 key`);
  return keys;
}

/**
 * Reads the keys from a directory (a mounted Secret): `public.key` and `secret.key`, and an optional
 * `allowed-peers` (extra admitted public keys, one a line). `allowedPeersFile` adds keys from another file.
 */
export function readCurveKeys(dir: string, allowedPeersFile = ''): CurveKeys {
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  const [publicKey] = keysIn(read('public.key'), `${dir}/public.key`);
  const [secretKey] = keysIn(read('secret.key'), `${dir}/secret.key`);
  if (publicKey === undefined || secretKey === undefined) throw new Error(`replica sync CURVE: ${dir}: public.key and secret.key must each hold a key`);
  const allowed = new Set([publicKey]);
  let extra = '';
  try {
    extra = read('allowed-peers');
  } catch {
    // optional
  }
  if (allowedPeersFile !== '') extra += `\n${readFileSync(allowedPeersFile, 'utf8')}`;
  for (const k of keysIn(extra, 'allowed peers')) allowed.add(k);
  return { publicKey, secretKey, allowedPeers: allowed };
}

/** A fresh keypair with only itself allowed (tests, `epp --print-replica-sync-keys`-style tooling). */
export function newCurveKeys(): CurveKeys {
  const { publicKey, secretKey } = zmq.curveKeyPair();
  return { publicKey, secretKey, allowedPeers: new Set([publicKey]) };
}

/** Options of a socket that binds (PUB, REP) under `domain`. */
export function curveServerOptions(keys: CurveKeys, domain: string): { curveServer: true; curvePublicKey: string; curveSecretKey: string; zapDomain: string } {
  return { curveServer: true, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey, zapDomain: domain };
}

/** Options of a socket that connects (SUB, REQ) to a peer holding the shared key. */
export function curveClientOptions(keys: CurveKeys): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string } {
  return { curveServerKey: keys.publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey };
}

/**
 * The process's ZAP handler: libzmq asks it, over inproc://zeromq.zap.01 of the default context, about every
 * CURVE client; it answers per domain (one per transport, so tests can run several in one process).
 */
class ZapHandler {
  readonly #domains = new Map<string, ReadonlySet<string>>();
  #socket: zmq.Reply | null = null;
  #next = 0;

  async register(allowed: ReadonlySet<string>): Promise<string> {
    const domain = `replica-sync-${++this.#next}`;
    this.#domains.set(domain, allowed);
    if (this.#socket === null) {
      const socket = (this.#socket = new zmq.Reply({ linger: 0 }));
      await socket.bind('inproc://zeromq.zap.01');
      void this.#serve(socket);
    }
    return domain;
  }

  unregister(domain: string): void {
    this.#domains.delete(domain);
    if (this.#domains.size > 0 || this.#socket === null) return;
    this.#socket.close();
    this.#socket = null;
  }

  async #serve(socket: zmq.Reply): Promise<void> {
    try {
      for await (const [version, id, domain, , , mechanism, key] of socket) {
        const allowed = this.#domains.get(domain?.toString() ?? '');
        const ok = mechanism?.toString() === 'CURVE' && key !== undefined && key.length === 32 && allowed?.has(z85Encode(key)) === true;
        await socket.send([version!, id!, ok ? '200' : '400', ok ? 'OK' : 'peer key not allowed', '', '']);
      }
    } catch {
      // closed
    }
  }
}

export const zapHandler = new ZapHandler();
