/**
 * Disaggregated serving (upstream llm-d-router pkg/epp/framework/plugins/scheduling/profilehandler/disagg,
 * mirror commit ebab68792):
 * - disagg-profile-handler: runs the decode profile, then (decode-first) asks the prefill decider whether to
 *   run the prefill profile for the chosen decode endpoint, or (prefill-first) runs prefill, then decode. The
 *   decode result is primary (the destination); the prefill pick goes to the decode pod's routing sidecar in
 *   `x-prefiller-host-port` (host:port), set by its PreRequest hook. The encode stage runs when an encode
 *   profile is configured and its decider says so; its picks go in `x-encoder-hosts-ports` (comma-separated).
 * - pd-profile-handler: the deprecated P/D-only handler (decodeProfile, prefillProfile, deciderPluginName
 *   defaulting to prefix-based-pd-decider, primaryPort; prefix plugin parameters accepted and unused).
 * - the deciders (prefix-based, always, multimodal): deciders.ts.
 * - disagg-headers-handler / prefill-header-handler and the headers themselves: headers.ts.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PEER_ENDPOINT_KEY } from '../../../../framework/data-keys.ts';
import type { Plugin, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest } from '../../../../framework/requestcontrol.ts';
import type {
  ProfileHandler,
  ProfileHandlerOutcome,
  ProfileResults,
  SchedulerProfile,
  SchedulingResult,
} from '../../../../framework/scheduling.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { isAbsent, isMap } from '../../../../input/fields.ts';
import { intParam, readParams, stringParam } from '../../../../input/plugin-params.ts';
import { isDecider, PREFIX_BASED_PD_DECIDER_TYPE, PrefixBasedPDDecider, type Decider } from './deciders.ts';
import { firstOf, setDisaggHeaders } from './headers.ts';

export {
  createDisaggHeadersHandler,
  createPrefillHeaderHandler,
  DISAGG_HEADERS_HANDLER_TYPE,
  DisaggHeadersHandler,
  ENCODER_ENDPOINTS_HEADER,
  PREFILL_ENDPOINT_HEADER,
  PREFILL_HEADER_HANDLER_TYPE,
  setDisaggHeaders,
} from './headers.ts';

export const DISAGG_PROFILE_HANDLER_TYPE = 'disagg-profile-handler';
export const PD_PROFILE_HANDLER_TYPE = 'pd-profile-handler';

export type StageOrder = 'decode-first' | 'prefill-first';

/** Upstream ParseStageOrder: case, '-' and '_' ignored; '' = decode-first. */
export function parseStageOrder(s: string): StageOrder | null {
  switch (s.toLowerCase().replace(/[-_]/g, '')) {
    case '':
    case 'decodefirst':
    case 'decode':
      return 'decode-first';
    case 'prefillfirst':
    case 'prefill':
      return 'prefill-first';
    default:
      return null;
  }
}

/** Upstream deciderPlugin: whether to run the stage for a request whose decode endpoint is `endpoint`. */
export type DisaggDecision = 'decode-only' | 'prefill-decode' | 'encode-decode' | 'encode-prefill-decode';

export function disaggDecision(encodeUsed: boolean, prefillUsed: boolean): DisaggDecision {
  if (encodeUsed) return prefillUsed ? 'encode-prefill-decode' : 'encode-decode';
  return prefillUsed ? 'prefill-decode' : 'decode-only';
}

const NONE: readonly SchedulerProfile[] = [];
const MAX_MODEL_SERIES = 1000;
const NO_DECODE: ProfileHandlerOutcome = { ok: false, reason: 'failed to find available decode workers' };

function find(profiles: readonly SchedulerProfile[], name: string): SchedulerProfile | undefined {
  for (let i = 0; i < profiles.length; i++) if (profiles[i]!.name === name) return profiles[i];
  return undefined;
}


export interface DisaggParams {
  stageOrder: StageOrder;
  decode: string;
  prefill: string;
  encode: string;
  prefillDecider: string;
  encodeDecider: string;
  /** pd-profile-handler only: the decode destination's port is replaced by this one (0 = none). */
  primaryPort: number;
}


/**
 * disagg-profile-handler (and, with legacy parameters, pd-profile-handler). Also a PreRequest: sets the
 * disaggregation headers, as upstream's Handler does.
 */
export class DisaggProfileHandler implements ProfileHandler, PreRequest {
  readonly type: string;
  readonly name: string;
  readonly params: DisaggParams;
  #prefillDecider: Decider | null = null;
  #encodeDecider: Decider | null = null;
  readonly #ok: ProfileHandlerOutcome;
  readonly #logger: PluginHandle['logger'] | null;
  /** Cycles by decision, for metrics and tests (upstream llm_d_epp_disagg_decision_total). */
  readonly decisions: Record<DisaggDecision, number> = { 'decode-only': 0, 'prefill-decode': 0, 'encode-decode': 0, 'encode-prefill-decode': 0 };
  /** The last cycle's decision. */
  lastDecision: DisaggDecision = 'decode-only';
  readonly #one: SchedulerProfile[] = [];
  #peer: { request: LLMRequest | null; endpoint: Endpoint } | null = null;
  /** Decisions by model and decision type (model\0decision), for llm_d_epp_disagg_decision_total. */
  readonly #byModel = new Map<string, number>();

  #count(model: string, d: DisaggDecision): void {
    let key = `${model}\u0000${d}`;
    // Model names come from requests: past MAX_MODEL_SERIES keys new ones share one series.
    if (!this.#byModel.has(key) && this.#byModel.size >= MAX_MODEL_SERIES) key = `other\u0000${d}`;
    this.#byModel.set(key, (this.#byModel.get(key) ?? 0) + 1);
  }

  /** [model, decision, count] for every series so far (upstream RecordDisaggDecision / RecordPDDecision). */
  *disaggDecisionCounts(): Iterable<readonly [string, string, number]> {
    for (const [k, v] of this.#byModel) {
      const cut = k.indexOf('\u0000');
      yield [k.slice(0, cut), k.slice(cut + 1), v];
    }
  }

  consumes: { readonly required: readonly string[] } | undefined = undefined;
  /** pd-profile-handler without deciderPluginName: used when no plugin is named prefix-based-pd-decider. */
  fallbackPrefillDecider: Decider | null = null;

  constructor(type: string, name: string, params: DisaggParams, logger: PluginHandle['logger'] | null = null) {
    this.type = type;
    this.name = name;
    this.params = params;
    this.#ok = { ok: true, primaryProfileName: params.decode, prefillProfileName: params.prefill };
    this.#logger = logger;
  }

  bindPluginRefs(lookup: (name: string) => Plugin | undefined): string[] {
    const problems: string[] = [];
    const bind = (ref: string, field: string): Decider | null => {
      if (ref === '') return null;
      const p = lookup(ref);
      if (p === undefined) {
        problems.push(`${field}: plugin not found: ${ref}`);
        return null;
      }
      if (!isDecider(p)) {
        problems.push(`${field}: plugin "${ref}" (type "${p.type}") is not a disaggregation decider`);
        return null;
      }
      return p;
    };
    const legacy = this.type === PD_PROFILE_HANDLER_TYPE;
    if (this.fallbackPrefillDecider !== null && lookup(this.params.prefillDecider) === undefined) {
      this.#prefillDecider = this.fallbackPrefillDecider;
    } else {
      this.#prefillDecider = bind(this.params.prefillDecider, legacy ? 'parameters.deciderPluginName' : 'parameters.deciders.prefill');
    }
    this.#encodeDecider = bind(this.params.encodeDecider, 'parameters.deciders.encode');
    return problems;
  }

  /** For tests and callers building the handler without a loader. */
  setDeciders(prefill: Decider | null, encode: Decider | null = null): this {
    this.#prefillDecider = prefill;
    this.#encodeDecider = encode;
    return this;
  }

  #run(p: SchedulerProfile): readonly SchedulerProfile[] {
    this.#one[0] = p;
    this.#one.length = 1;
    return this.#one;
  }

  pick(request: LLMRequest, profiles: readonly SchedulerProfile[], results: ProfileResults): readonly SchedulerProfile[] {
    const { decode, prefill, encode } = this.params;
    if (this.params.stageOrder === 'prefill-first') {
      if (results.has(decode)) return this.#complete(request, results);
      const pp = find(profiles, prefill);
      if (pp !== undefined && !results.has(prefill)) return this.#run(pp);
      const ep = find(profiles, encode);
      if (ep !== undefined && !results.has(encode) && this.#encodeDecider !== null && this.#encodeDecider.disaggregate(request, null)) {
        return this.#run(ep);
      }
      const dp = find(profiles, decode);
      const prefilled = firstOf(results, prefill);
      if (prefilled !== null) this.#setPeer(request, prefilled);
      return dp === undefined ? NONE : this.#run(dp);
    }
    const dp = find(profiles, decode);
    if (!results.has(decode)) return dp === undefined ? NONE : this.#run(dp);
    const target = firstOf(results, decode);
    if (target === null) return NONE;
    this.#setPeer(request, target);
    // A stage skipped is not run again: the handler asks in order encode, prefill, each once per cycle
    // (upstream records the skip as a nil result; the engine's results map is read-only here, so the order
    // of the checks below keeps a skipped stage from being asked twice).
    const ep = find(profiles, encode);
    if (ep !== undefined && !results.has(encode) && !results.has(prefill)) {
      if (this.#encodeDecider !== null && this.#encodeDecider.disaggregate(request, target)) return this.#run(ep);
    }
    const pp = find(profiles, prefill);
    if (pp !== undefined && !results.has(prefill)) {
      if (this.#prefillDecider !== null && this.#prefillDecider.disaggregate(request, target)) return this.#run(pp);
    }
    return this.#complete(request, results);
  }

  /** The other stage's pick, for topology-affinity plugins in the next profile (reused: no allocation). */
  #setPeer(request: LLMRequest, endpoint: Endpoint): void {
    let peer = this.#peer;
    if (peer === null) peer = this.#peer = { request, endpoint };
    peer.request = request;
    peer.endpoint = endpoint;
    request.data.set(PEER_ENDPOINT_KEY, peer);
  }

  #complete(request: LLMRequest, results: ProfileResults): readonly SchedulerProfile[] {
    if (firstOf(results, this.params.decode) === null) return NONE;
    const d = disaggDecision(firstOf(results, this.params.encode) !== null, firstOf(results, this.params.prefill) !== null);
    this.decisions[d]++;
    this.lastDecision = d;
    this.#count(request.targetModel, d);
    if (d !== 'decode-only' && this.#logger !== null && this.#logger.isLevelEnabled('debug')) {
      this.#logger.debug(
        {
          requestId: request.requestId,
          handler: this.name,
          decision: d,
          decode: firstOf(results, this.params.decode)?.key,
          prefill: firstOf(results, this.params.prefill)?.key,
          encode: firstOf(results, this.params.encode)?.key,
        },
        'disaggregated scheduling decision',
      );
    }
    return NONE;
  }

  processResults(_request: LLMRequest, results: ProfileResults): ProfileHandlerOutcome {
    return firstOf(results, this.params.decode) === null ? NO_DECODE : this.#ok;
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    setDisaggHeaders(request, result, this.params.prefill, this.params.encode);
  }
}

const DISAGG_KEYS = ['stageOrder', 'profiles', 'deciders'] as const;
const LEGACY_KEYS = [
  'stageOrder',
  'decodeProfile',
  'prefillProfile',
  'encodeProfile',
  'prefillDeciderPluginName',
  'encodeDeciderPluginName',
  'deciderPluginName',
] as const;

function subMap(name: string, v: unknown, field: string, keys: readonly string[]): Record<string, string> {
  if (isAbsent(v)) return {};
  if (!isMap(v)) throw new PluginConfigError(name, field, 'must be a mapping');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!keys.includes(k)) throw new PluginConfigError(name, `${field}.${k}`, 'unknown parameter');
    if (typeof x !== 'string') throw new PluginConfigError(name, `${field}.${k}`, 'must be a string');
    out[k] = x;
  }
  return out;
}

/** Upstream DisaggProfileHandlerConfigParser: the nested form, else the deprecated flat fields. */
export function parseDisaggParams(name: string, raw: unknown, handle: PluginHandle | null): DisaggParams {
  let stageOrder = '';
  let profiles: Record<string, string> = {};
  let deciders: Record<string, string> = {};
  if (!isAbsent(raw)) {
    if (!isMap(raw)) throw new PluginConfigError(name, '', 'parameters must be a mapping');
    const flat = Object.keys(raw).some((k) => !(DISAGG_KEYS as readonly string[]).includes(k));
    if (flat) {
      const p = readParams(name, raw, LEGACY_KEYS);
      handle?.logger.warn({ plugin: name }, 'deprecated: flat parameter format, migrate to nested profiles/deciders format');
      stageOrder = stringParam(name, p, 'stageOrder', '');
      profiles = {
        decode: stringParam(name, p, 'decodeProfile', ''),
        prefill: stringParam(name, p, 'prefillProfile', ''),
        encode: stringParam(name, p, 'encodeProfile', ''),
      };
      const prefillDecider = stringParam(name, p, 'prefillDeciderPluginName', '') || stringParam(name, p, 'deciderPluginName', '');
      deciders = { prefill: prefillDecider, encode: stringParam(name, p, 'encodeDeciderPluginName', '') };
    } else {
      const p = readParams(name, raw, DISAGG_KEYS);
      stageOrder = stringParam(name, p, 'stageOrder', '');
      profiles = subMap(name, p['profiles'], 'profiles', ['decode', 'prefill', 'encode']);
      deciders = subMap(name, p['deciders'], 'deciders', ['prefill', 'encode']);
    }
  }
  const order = parseStageOrder(stageOrder);
  if (order === null) throw new PluginConfigError(name, 'stageOrder', `invalid stage order "${stageOrder}", must be "decode-first" or "prefill-first"`);
  const prefillDecider = deciders['prefill'] ?? '';
  if (order === 'prefill-first' && prefillDecider !== '') {
    throw new PluginConfigError(name, 'deciders.prefill', 'prefill decider is not supported in prefill-first stage order');
  }
  if (prefillDecider === '') handle?.logger.info({ plugin: name }, 'no deciders.prefill configured, P/D disaggregation disabled');
  return {
    stageOrder: order,
    decode: profiles['decode'] || 'decode',
    prefill: profiles['prefill'] || 'prefill',
    encode: profiles['encode'] || 'encode',
    prefillDecider,
    encodeDecider: deciders['encode'] ?? '',
    primaryPort: 0,
  };
}

export function createDisaggProfileHandler(name: string, params: unknown, handle: PluginHandle): DisaggProfileHandler {
  return new DisaggProfileHandler(DISAGG_PROFILE_HANDLER_TYPE, name, parseDisaggParams(name, params, handle), handle.logger);
}

const PD_KEYS = ['decodeProfile', 'prefillProfile', 'prefixPluginType', 'prefixPluginName', 'primaryPort', 'deciderPluginName', 'prefixMatchInfoProducerName'] as const;

/**
 * Upstream PdProfileHandlerFactory: deprecated. Its parameters are decoded leniently upstream (unknown ones
 * ignored), so older configs load; ours warn on them. The decider defaults to a plugin named
 * prefix-based-pd-decider; when the config has no plugin of that name (llm-d-inference-scheduler <= v0.5,
 * where the handler itself took `threshold`), a built-in prefix-based decider with nonCachedTokens =
 * `threshold` (0 = never disaggregate) stands in.
 */
export function createPdProfileHandler(name: string, params: unknown, handle: PluginHandle): DisaggProfileHandler {
  handle.logger.warn({ plugin: name }, 'deprecated: pd-profile-handler is deprecated, use disagg-profile-handler instead');
  if (!isAbsent(params) && !isMap(params)) throw new PluginConfigError(name, '', 'parameters must be a mapping');
  const raw = isMap(params) ? params : {};
  const known: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((PD_KEYS as readonly string[]).includes(k)) known[k] = v;
    else if (k !== 'threshold') handle.logger.warn({ plugin: name, parameter: k }, 'pd-profile-handler: unknown parameter ignored (as upstream)');
  }
  // Upstream's sample sim config carries an unsubstituted `${PRIMARY_PORT}`; this picker never applies the
  // port, so a templated string is only warned about.
  if (typeof known['primaryPort'] === 'string' && /^\$\{[A-Z_]+\}$/.test(known['primaryPort'])) {
    handle.logger.warn({ plugin: name }, `pd-profile-handler: primaryPort ${known['primaryPort']} is an unsubstituted template; ignored`);
    delete known['primaryPort'];
  }
  const p = readParams(name, known, PD_KEYS);
  const primaryPort = intParam(name, p, 'primaryPort', 0, 0, 65535);
  if (primaryPort !== 0) handle.logger.warn({ plugin: name }, 'deprecated: primaryPort not needed with Istio >= 1.28.1; not applied by this picker');
  const explicit = p['deciderPluginName'] !== undefined;
  const decider = stringParam(name, p, 'deciderPluginName', PREFIX_BASED_PD_DECIDER_TYPE);
  if (decider === '') throw new PluginConfigError(name, 'deciderPluginName', 'decider plugin name is not defined');
  const threshold = raw['threshold'];
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0)) {
    throw new PluginConfigError(name, 'threshold', 'must be a non-negative integer');
  }
  const h = new DisaggProfileHandler(
    PD_PROFILE_HANDLER_TYPE,
    name,
    {
      stageOrder: 'decode-first',
      decode: stringParam(name, p, 'decodeProfile', 'decode') || 'decode',
      prefill: stringParam(name, p, 'prefillProfile', 'prefill') || 'prefill',
      encode: '\u0000no-encode',
      prefillDecider: decider,
      encodeDecider: '',
      primaryPort,
    },
    handle.logger,
  );
  if (!explicit) {
    const fallback = new PrefixBasedPDDecider(`${name}/threshold`, (threshold as number | undefined) ?? 0, 0);
    h.fallbackPrefillDecider = fallback;
    // The stand-in is no configured plugin: the handler asks for the prefix match it reads (upstream's
    // handler requires it too), so the loader adds the default producer.
    h.consumes = fallback.consumes;
  }
  return h;
}
