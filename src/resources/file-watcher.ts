/**
 * Calls `onChange` (debounced) when one file changes. Watches the file's directory, not the file, because
 * editors and `kubectl`-style tools replace a file by writing a temporary one and renaming it over the old
 * one, which ends a watch on the old inode. fs.watch can miss events (network file systems, some containers),
 * so a cheap stat poll (inode, size, mtime) runs as a fallback.
 */
import { stat, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export interface FileWatcherOptions {
  /** Quiet time before `onChange` fires; an editor's save is several events. Default 100 ms. */
  debounceMs?: number;
  /** Stat poll interval. Default 1000 ms. */
  pollMs?: number;
  /** fs.watch failures (the poll keeps working). */
  onError?: (err: Error) => void;
}

export class FileWatcher {
  readonly file: string;
  readonly #name: string;
  readonly #onChange: () => void;
  readonly #onError: (err: Error) => void;
  readonly #debounceMs: number;
  readonly #pollMs: number;
  #watcher: FSWatcher | undefined = undefined;
  #debounce: NodeJS.Timeout | undefined = undefined;
  #poll: NodeJS.Timeout | undefined = undefined;
  #statKey = '';
  #statting = false;
  #closed = false;
  // Bound once so timers and fs callbacks do not allocate a closure per event.
  readonly #fire = (): void => {
    this.#debounce = undefined;
    if (!this.#closed) this.#onChange();
  };
  readonly #pollNow = (): void => {
    if (this.#statting || this.#closed) return;
    this.#statting = true;
    stat(this.file, this.#onStat);
  };
  readonly #onStat = (err: Error | null, st: Stats | undefined): void => {
    this.#statting = false;
    const key = statKey(err ? undefined : st);
    if (key !== this.#statKey) {
      this.#statKey = key;
      this.#schedule();
    }
  };
  readonly #onWatch = (_event: string, filename: string | Buffer | null): void => {
    // filename can be null on some platforms: then any event in the directory counts.
    if (filename === null || filename.toString() === this.#name) this.#schedule();
  };

  constructor(file: string, onChange: () => void, options: FileWatcherOptions = {}) {
    this.file = resolve(file);
    this.#name = basename(this.file);
    this.#onChange = onChange;
    this.#onError = options.onError ?? (() => {});
    this.#debounceMs = options.debounceMs ?? 100;
    this.#pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    if (this.#closed || this.#poll) return;
    let st: Stats | undefined;
    try {
      st = statSync(this.file);
    } catch {
      st = undefined;
    }
    this.#statKey = statKey(st);
    try {
      this.#watcher = watch(dirname(this.file), this.#onWatch);
      this.#watcher.on('error', (err) => {
        this.#onError(err);
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#onError(err as Error); // e.g. the directory is gone: the poll still notices when it comes back
    }
    this.#poll = setInterval(this.#pollNow, this.#pollMs);
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    this.#poll = undefined;
    this.#debounce = undefined;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(this.#fire, this.#debounceMs);
  }
}

function statKey(st: Stats | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
}
