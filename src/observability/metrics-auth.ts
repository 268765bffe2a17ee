/**
 * --metrics-endpoint-auth as controller-runtime's `filters.WithAuthenticationAndAuthorization` (upstream's
 * metrics server): the caller's bearer token is checked with a TokenReview, then the user it names with a
 * SubjectAccessReview for the request's verb on its path (`get` `/metrics`). No token or a rejected one: 401
 * "Unauthorized"; not allowed: 403 "Authorization denied for user X"; an API failure: 500.
 *
 * Caching as there: token reviews 1 min (either answer), access reviews 5 min allowed / 30 s denied. Keys are
 * SHA-256 digests of the token, never the token itself; each cache holds at most 1,024 entries (oldest out);
 * concurrent requests with one token share one review. A static token (--metrics-auth-token-file) is
 * compared in constant time and needs no API call; it is the only check in standalone mode.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ReviewedUser {
  username: string;
  uid?: string | undefined;
  groups?: string[] | undefined;
  extra?: Record<string, string[]> | undefined;
}

/** The two API calls (src/k8s/access-review.ts); both throw on an API failure. */
export interface AccessReviewer {
  /** The authenticated user, or null when the token is rejected. */
  tokenReview(token: string): Promise<ReviewedUser | null>;
  accessReview(user: ReviewedUser, verb: string, path: string): Promise<boolean>;
}

export interface MetricsAuthOptions {
  reviewer?: AccessReviewer | undefined;
  staticToken?: string | undefined;
  now?: () => number;
}

export type AuthDecision = { status: 200 } | { status: 401 | 403 | 500; message: string };

export const TOKEN_CACHE_MS = 60_000;
export const ALLOW_CACHE_MS = 5 * 60_000;
export const DENY_CACHE_MS = 30_000;
const MAX_ENTRIES = 1024;

interface Entry<T> {
  value: Promise<T>;
  expires: number;
}

class TtlCache<T> {
  readonly #map = new Map<string, Entry<T>>();
  get(key: string, now: number): Promise<T> | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (e.expires > now) return e.value;
    this.#map.delete(key);
    return undefined;
  }
  /** Pending until `ttl` of the settled value is known; a failure is not cached. */
  set(key: string, value: Promise<T>, ttl: (v: T) => number, now: () => number): void {
    if (this.#map.size >= MAX_ENTRIES) this.#map.delete(this.#map.keys().next().value!);
    const entry: Entry<T> = { value, expires: Number.POSITIVE_INFINITY };
    this.#map.set(key, entry);
    value.then(
      (v) => (entry.expires = now() + ttl(v)),
      () => this.#map.get(key) === entry && this.#map.delete(key),
    );
  }
  get size(): number {
    return this.#map.size;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class MetricsAuth {
  readonly #reviewer: AccessReviewer | undefined;
  readonly #static: Buffer | undefined;
  readonly #now: () => number;
  readonly #tokens = new TtlCache<ReviewedUser | null>();
  readonly #access = new TtlCache<boolean>();

  constructor(options: MetricsAuthOptions) {
    this.#reviewer = options.reviewer;
    this.#static = options.staticToken ? digest(options.staticToken) : undefined;
    this.#now = options.now ?? Date.now;
  }

  /** Entries in the token and access caches (tests). */
  cacheSizes(): { tokens: number; access: number } {
    return { tokens: this.#tokens.size, access: this.#access.size };
  }

  async check(authorization: string | undefined, method: string, path: string): Promise<AuthDecision> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return { status: 401, message: 'Unauthorized' };
    const token = m[1]!;
    const d = digest(token);
    if (this.#static && timingSafeEqual(d, this.#static)) return { status: 200 };
    const reviewer = this.#reviewer;
    if (!reviewer) return { status: 401, message: 'Unauthorized' };
    const key = d.toString('base64');
    const now = this.#now();
    let user: ReviewedUser | null;
    try {
      let p = this.#tokens.get(key, now);
      if (p === undefined) this.#tokens.set(key, (p = reviewer.tokenReview(token)), () => TOKEN_CACHE_MS, this.#now);
      user = await p;
    } catch {
      return { status: 500, message: 'Authentication failed' };
    }
    if (user === null) return { status: 401, message: 'Unauthorized' };
    const verb = method.toLowerCase();
    const akey = JSON.stringify([user.username, user.uid ?? '', user.groups ?? [], verb, path]);
    try {
      let p = this.#access.get(akey, now);
      if (p === undefined) this.#access.set(akey, (p = reviewer.accessReview(user, verb, path)), (ok) => (ok ? ALLOW_CACHE_MS : DENY_CACHE_MS), this.#now);
      if (await p) return { status: 200 };
    } catch {
      return { status: 500, message: `Authorization for user ${user.username} failed` };
    }
    return { status: 403, message: `Authorization denied for user ${user.username}` };
  }
}
