/** Pull-style reader over a gRPC stream's messages: `next()` resolves with the next message, or null at end. */
import type { ClientDuplexStream } from '@grpc/grpc-js';

export class Inbox<T> {
  readonly #items: T[] = [];
  #head = 0;
  #waiter: ((v: T | null) => void) | null = null;
  #failWaiter: ((e: Error) => void) | null = null;
  #ended = false;
  #error: Error | null = null;

  constructor(call: ClientDuplexStream<never, T>) {
    call.on('data', (m: T) => this.#push(m));
    call.on('end', () => this.#end(null));
    call.on('error', (e: Error) => this.#end(e));
  }

  next(): Promise<T | null> {
    if (this.#head < this.#items.length) {
      const m = this.#items[this.#head++] as T;
      if (this.#head > 64 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve(m);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  #push(m: T): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      this.#failWaiter = null;
      w(m);
    } else this.#items.push(m);
  }

  #end(e: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = e;
    const w = this.#waiter;
    const f = this.#failWaiter;
    this.#waiter = null;
    this.#failWaiter = null;
    if (e && f) f(e);
    else if (w) w(null);
  }
}
