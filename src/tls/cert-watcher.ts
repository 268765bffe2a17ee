/**
 * --enable-cert-reload: watches a --cert-path style directory (tls.crt, tls.key) and hands each new pair to
 * `apply` (the server's setSecureContext: new handshakes get the new certificate, open connections keep theirs).
 *
 * The directory is watched, not the files: a mounted Secret changes by swapping its `..data` symlink, which
 * only the directory sees. Events are debounced as upstream's fsnotify reloader does (250 ms after the last
 * one), with a cap so that a directory that never stops changing still reloads within 4 debounce periods.
 * A pair that fails to load (half-written, key not matching) keeps the current one and is retried at the
 * next change.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  cert: Buffer;
  key: Buffer;
}

export function readCertPair(dir: string): CertPair {
  return { cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) };
}

export const CERT_RELOAD_DEBOUNCE_MS = 250;

export class CertWatcher extends EventEmitter<{ reloaded: []; reloadFailed: [Error] }> {
  readonly #dir: string;
  readonly #apply: (pair: CertPair) => void;
  readonly #debounceMs: number;
  #watcher: FSWatcher | null;
  #timer: NodeJS.Timeout | null = null;
  #firstEventAt = 0;

  constructor(dir: string, apply: (pair: CertPair) => void, debounceMs = CERT_RELOAD_DEBOUNCE_MS) {
    super();
    this.#dir = dir;
    this.#apply = apply;
    this.#debounceMs = debounceMs;
    this.#watcher = watch(dir, { persistent: false }, () => this.#changed());
    this.#watcher.on('error', (err) => this.emit('reloadFailed', err));
  }

  #changed(): void {
    const now = performance.now();
    if (this.#timer === null) this.#firstEventAt = now;
    else clearTimeout(this.#timer);
    const cap = this.#firstEventAt + 4 * this.#debounceMs - now;
    this.#timer = setTimeout(() => this.#reload(), Math.max(0, Math.min(this.#debounceMs, cap)));
    this.#timer.unref();
  }

  #reload(): void {
    this.#timer = null;
    if (this.#watcher === null) return;
    try {
      this.#apply(readCertPair(this.#dir));
    } catch (err) {
      this.emit('reloadFailed', err as Error);
      return;
    }
    this.emit('reloaded');
  }

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#watcher?.close();
    this.#watcher = null;
  }
}
