/**
 * Proxy-side load balancing without a picker, as a plain Kubernetes Service or Envoy cluster would do it.
 * Shared by the local gateway and the fast simulation so both modes run the same baseline code.
 */

export interface BaselineBalancer {
  /** Index of the endpoint for the next request, of `n`. */
  pick(n: number): number;
  /** The request routed to `i` ended. */
  release(i: number): void;
}

/** kube-proxy in IPVS rr mode / an Envoy ROUND_ROBIN cluster: cycle through endpoints. */
export class RoundRobin implements BaselineBalancer {
  #next = 0;
  pick(n: number): number {
    const i = this.#next % n;
    this.#next = i + 1;
    return i;
  }
  release(_i: number): void {}
}

/** kube-proxy iptables mode: uniform random. */
export class RandomBalancer implements BaselineBalancer {
  readonly #random: () => number;
  constructor(random: () => number) {
    this.#random = random;
  }
  pick(n: number): number {
    return Math.floor(this.#random() * n);
  }
  release(_i: number): void {}
}

/**
 * Envoy LEAST_REQUEST with equal weights: power of two choices (choice_count 2) over the proxy's own count
 * of active requests per host; the first choice wins ties.
 */
export class LeastRequest implements BaselineBalancer {
  readonly #random: () => number;
  #active = new Int32Array(0);
  constructor(random: () => number) {
    this.#random = random;
  }
  pick(n: number): number {
    if (this.#active.length < n) {
      const grown = new Int32Array(n);
      grown.set(this.#active);
      this.#active = grown;
    }
    let i = Math.floor(this.#random() * n);
    if (n > 1) {
      let j = Math.floor(this.#random() * (n - 1));
      if (j >= i) j++;
      if ((this.#active[j] as number) < (this.#active[i] as number)) i = j;
    }
    this.#active[i] = (this.#active[i] as number) + 1;
    return i;
  }
  release(i: number): void {
    if ((this.#active[i] as number) > 0) this.#active[i] = (this.#active[i] as number) - 1;
  }
}

export type BaselineName = 'round-robin' | 'least-request' | 'random';

export function baseline(name: BaselineName, random: () => number): BaselineBalancer {
  switch (name) {
    case 'round-robin':
      return new RoundRobin();
    case 'least-request':
      return new LeastRequest(random);
    case 'random':
      return new RandomBalancer(random);
  }
}
