/**
 * The one PRNG all pickers share (as llm-d `picker/common.go` shares `PickerRand`). sfc32: 128-bit state,
 * four 32-bit integer ops per draw, no allocation. Seeded from crypto at startup; tests call `seed(n)` to make
 * tie-breaks reproducible.
 */
import { randomInt } from 'node:crypto';

export class PickerRandom {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;

  constructor(seed: number) {
    this.seed(seed);
  }

  seed(seed: number): void {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed | 0;
    // Discard the first outputs: sfc32 needs a few rounds to mix a low-entropy seed.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = ((c << 21) | (c >>> 11)) + t;
    this.#c |= 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export const pickerRandom = new PickerRandom(randomInt(0x7fffffff));
