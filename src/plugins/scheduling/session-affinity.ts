/**
 * Session affinity shared by session-affinity-filter and session-affinity-scorer (upstream
 * `scheduling/util/sessionaffinity`): which pod a request's session is pinned to, and how the pin is kept.
 *
 * - `encoded_endpoint_header` (default, stateless): the request header (default `x-session-token`) carries the
 *   base64 of the pod's `namespace/name`; the response carries the pod that served (or, with `profileName`, the
 *   pod that profile picked) under the same header, for the client to echo back.
 * - `session_id` (stateful): an opaque id from the first non-empty source (request header, default
 *   `x-session-id`) is bound to the pod the request was routed to. A bound pod among the candidates is the
 *   target; a bound pod absent from them rebinds to the new pick. Bindings unused for evictionTtlSeconds are
 *   dropped by a sweep every evictionSweepSeconds (run lazily on the request path with the injected clock here,
 *   not by a timer, so a replaced config leaves nothing running).
 */
import type { Endpoint } from '../../framework/endpoint.ts';
import { dataKey, requestData, type RequestAttribute } from '../../framework/data-keys.ts';
import type { PluginHandle } from '../../framework/plugin.ts';
import type { Clock } from '../../framework/clock.ts';
import type { LLMRequest } from '../../framework/request.ts';
import type { LLMResponse } from '../../framework/requestcontrol.ts';
import type { SchedulingResult } from '../../framework/scheduling.ts';
import { asList, asMap, child, FieldError, isAbsent, onlyFields, optEnum, optNumber, optString, type RawMap } from '../../input/fields.ts';
import { read, readParams } from '../../input/plugin-params.ts';

export const STRATEGY_ENCODED_ENDPOINT_HEADER = 'encoded_endpoint_header';
export const STRATEGY_SESSION_ID = 'session_id';
export type SessionStrategy = typeof STRATEGY_ENCODED_ENDPOINT_HEADER | typeof STRATEGY_SESSION_ID;

export const DEFAULT_SESSION_TOKEN_HEADER = 'x-session-token';
export const DEFAULT_SESSION_ID_HEADER = 'x-session-id';

export interface SessionIdSource {
  /** Request header name (lower-cased). '' when the source is an attribute. */
  readonly header: string;
  /** Request attribute key published by another plugin (agent-identity publishes `agent-identity`). */
  readonly attribute: string;
  readonly producer: string;
}

export interface SessionAffinityConfig {
  readonly strategy: SessionStrategy;
  /** Pins the pod this profile picked instead of the primary one ('' = primary). */
  readonly profileName: string;
  /** encoded_endpoint_header: request and response header (lower-cased). */
  readonly header: string;
  /** session_id: where the id is read from, in priority order. */
  readonly sources: readonly SessionIdSource[];
  readonly evictionTtlMs: number;
  readonly evictionSweepMs: number;
}

/** Upstream NormalizeHeader: trimmed, lower-cased (request headers are lower-cased), default when empty. */
function normalizeHeader(name: string): string {
  const h = name.trim().toLowerCase();
  return h === '' ? DEFAULT_SESSION_TOKEN_HEADER : h;
}

export function readSessionAffinityConfig(name: string, params: unknown): SessionAffinityConfig {
  const p = readParams(name, params, ['strategy', 'profileName', 'encodedEndpointHeaderConfig', 'sessionIdConfig']);
  return read(name, () => {
    const strategy = optEnum(p, 'strategy', '', [STRATEGY_ENCODED_ENDPOINT_HEADER, STRATEGY_SESSION_ID] as const) ?? STRATEGY_ENCODED_ENDPOINT_HEADER;
    const profileName = optString(p, 'profileName', '', Infinity, 0) ?? '';
    let header = DEFAULT_SESSION_TOKEN_HEADER;
    if (!isAbsent(p.encodedEndpointHeaderConfig)) {
      const e = asMap(p.encodedEndpointHeaderConfig, 'encodedEndpointHeaderConfig');
      onlyFields(e, 'encodedEndpointHeaderConfig', ['header']);
      header = normalizeHeader(optString(e, 'header', 'encodedEndpointHeaderConfig', Infinity, 0) ?? '');
    }
    let sources: SessionIdSource[] = [];
    let ttlSeconds = 0;
    let sweepSeconds = 0;
    if (!isAbsent(p.sessionIdConfig)) {
      const path = 'sessionIdConfig';
      const s = asMap(p.sessionIdConfig, path);
      onlyFields(s, path, ['sources', 'evictionTtlSeconds', 'evictionSweepSeconds']);
      const sp = child(path, 'sources');
      sources = asList(s.sources, sp).map((raw, i) => readSource(raw, child(sp, i), strategy === STRATEGY_SESSION_ID));
      ttlSeconds = optNumber(s, 'evictionTtlSeconds', path, -Infinity) ?? 0;
      sweepSeconds = optNumber(s, 'evictionSweepSeconds', path, -Infinity) ?? 0;
    }
    // Upstream applies these defaults (and validates) only for the selected strategy.
    if (sources.length === 0) sources = [{ header: DEFAULT_SESSION_ID_HEADER, attribute: '', producer: '' }];
    if (ttlSeconds === 0) ttlSeconds = 300;
    if (sweepSeconds === 0) sweepSeconds = 10;
    if (strategy === STRATEGY_SESSION_ID) {
      if (ttlSeconds < 0) throw new FieldError('sessionIdConfig.evictionTtlSeconds', `must be > 0, got ${ttlSeconds}`);
      if (sweepSeconds < 0) throw new FieldError('sessionIdConfig.evictionSweepSeconds', `must be > 0, got ${sweepSeconds}`);
    }
    return { strategy, profileName, header, sources, evictionTtlMs: ttlSeconds * 1000, evictionSweepMs: sweepSeconds * 1000 };
  });
}

function readSource(raw: unknown, path: string, validate: boolean): SessionIdSource {
  const m: RawMap = asMap(raw, path);
  onlyFields(m, path, ['header', 'attribute', 'producer']);
  const header = optString(m, 'header', path, Infinity, 0) ?? '';
  const attribute = optString(m, 'attribute', path, Infinity, 0) ?? '';
  const producer = optString(m, 'producer', path, Infinity, 0) ?? '';
  if (validate && (header === '') === (attribute === '')) {
    throw new FieldError(path, 'exactly one of header or attribute must be set');
  }
  return { header: header === '' ? '' : normalizeHeader(header), attribute, producer };
}

/** Go base64.StdEncoding.DecodeString: strict (padding required, no whitespace); '' when invalid. */
export function decodePodToken(token: string): string {
  if (token === '' || token.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(token)) return '';
  return Buffer.from(token, 'base64').toString('utf8');
}

export function encodePodToken(ep: Endpoint): string {
  return Buffer.from(`${ep.namespace}/${ep.podName}`, 'utf8').toString('base64');
}

const NO_PRESENCE = 0;
const PRESENT = 1;
const ABSENT = 2;

interface Binding {
  pod: string;
  lastSeen: number;
}

/** One plugin instance's session state and its three steps: target(), preRequest(), responseReceived(). */
export class SessionAffinity {
  readonly config: SessionAffinityConfig;
  readonly #clock: Clock;
  readonly #bindings = new Map<string, Binding>();
  #lastSweep: number;
  // target -> preRequest handoff: the cycle and its PreRequest hooks run synchronously (framework/scheduling.ts).
  #presenceRequest: LLMRequest | null = null;
  #presence = NO_PRESENCE;
  /** Pod each in-flight request's profile picked, for the response header when profileName is set. */
  readonly #profilePod = new WeakMap<LLMRequest, Endpoint>();

  constructor(config: SessionAffinityConfig, handle: PluginHandle) {
    this.config = config;
    this.#clock = handle.clock;
    this.#lastSweep = handle.clock.now();
  }

  /**
   * The pinned pod as `namespace/name`, or '' when the request expresses no usable preference. For session_id
   * it also records whether the bound pod is among the candidates (see preRequest).
   */
  target(request: LLMRequest, candidates: readonly Endpoint[], n: number): string {
    if (this.config.strategy === STRATEGY_ENCODED_ENDPOINT_HEADER) {
      return decodePodToken(request.headers.get(this.config.header) ?? '');
    }
    if (n === 0) return '';
    const id = this.#sessionId(request);
    if (id === '') return '';
    const b = this.#bindings.get(id);
    if (b === undefined) return '';
    let present = false;
    for (let i = 0; i < n && !present; i++) present = isPod(candidates[i]!, b.pod);
    this.#presenceRequest = request;
    this.#presence = present ? PRESENT : ABSENT;
    return present ? b.pod : '';
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const picked = pickedEndpoint(result, this.config.profileName);
    if (this.config.strategy === STRATEGY_ENCODED_ENDPOINT_HEADER) {
      if (this.config.profileName !== '' && picked !== null) this.#profilePod.set(request, picked);
      return;
    }
    const now = this.#clock.now();
    this.#sweep(now);
    const id = this.#sessionId(request);
    if (id === '' || picked === null) return;
    const pod = `${picked.namespace}/${picked.podName}`;
    const existing = this.#bindings.get(id);
    if (existing === undefined) {
      this.#bindings.set(id, { pod, lastSeen: now });
    } else if (existing.pod === pod) {
      existing.lastSeen = now;
    } else if (this.#presenceRequest === request && this.#presence === ABSENT) {
      // Migrate only on an absence this request's own target() saw, never because the picker chose elsewhere.
      existing.pod = pod;
      existing.lastSeen = now;
    }
    if (this.#presenceRequest === request) this.#presenceRequest = null;
  }

  /** encoded_endpoint_header: writes the pod token on the response (session_id writes nothing). */
  responseReceived(request: LLMRequest, response: LLMResponse, endpoint: Endpoint): void {
    if (this.config.strategy !== STRATEGY_ENCODED_ENDPOINT_HEADER) return;
    let pod: Endpoint | undefined = endpoint;
    if (this.config.profileName !== '') {
      pod = this.#profilePod.get(request);
      if (pod === undefined) return; // that profile did not run for this request
    }
    response.setHeader(this.config.header, encodePodToken(pod));
  }

  /** Live session bindings (tests, debugging). */
  bindings(): number {
    return this.#bindings.size;
  }

  #sessionId(request: LLMRequest): string {
    const sources = this.config.sources;
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i]!;
      const v = s.header === '' ? requestData<RequestAttribute>(request, s.producer === '' ? s.attribute : dataKey(s.attribute, s.producer))?.value : request.headers.get(s.header);
      if (v !== undefined) {
        const id = v.trim();
        if (id !== '') return id;
      }
    }
    return '';
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.config.evictionSweepMs) return;
    this.#lastSweep = now;
    const ttl = this.config.evictionTtlMs;
    for (const [id, b] of this.#bindings) if (now - b.lastSeen > ttl) this.#bindings.delete(id);
  }
}

/** ep is the pod `namespace/name` (compared without building the string). */
export function isPod(ep: Endpoint, pod: string): boolean {
  const ns = ep.namespace;
  return pod.length === ns.length + 1 + ep.podName.length && pod.startsWith(ns) && pod.charCodeAt(ns.length) === 47 && pod.endsWith(ep.podName);
}

function pickedEndpoint(result: SchedulingResult, profileName: string): Endpoint | null {
  const r = profileName === '' ? result.primary : result.profileResults.get(profileName);
  return r && r.count > 0 ? (r.endpoints[0] ?? null) : null;
}

