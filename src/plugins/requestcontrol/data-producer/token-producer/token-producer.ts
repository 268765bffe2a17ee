/**
 * token-producer (DataProducer): publishes the request's prompt as token ids (TokenizedPrompt under
 * `tokenized-prompt/<name>`) for precise-prefix-cache-producer. Upstream: llm-d-router
 * requestcontrol/dataproducer/tokenizer. Backends, first that applies:
 *   - `tokenizerPath`: the model's tokenizer.json (file, or a directory such as a mounted ConfigMap), in-process;
 *   - `vllm`: the model server's /tokenize (`vllm.url`, or the first candidate when no url is given), answers
 *     cached; a prompt not answered yet gets the estimate (tokenize-client.ts);
 *   - the estimate (default): upstream's tokenizer-free byte packing, ids that match no engine's blocks.
 * Token ids already on the request (tokens-in APIs are parsed to promptText as JSON arrays) are not re-derived.
 */
import { TOKEN_PRODUCER_TYPE, TOKENIZED_PROMPT_KEY, dataKey, type TokenizedPrompt } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer } from '../../../../framework/requestcontrol.ts';
import { durationMsParam, readParams, stringParam, type Params } from '../../../../input/plugin-params.ts';
import { loadTokenizer, type TextTokenizer } from './local-tokenizer.ts';
import { chatMessages, estimateTokens, renderChatML } from './prompt-text.ts';
import { TokenizeClient } from './tokenize-client.ts';

export { TOKEN_PRODUCER_TYPE };

/** Upstream's deprecated alias of token-producer. */
export const TOKENIZER_TYPE = 'tokenizer';

export interface TokenProducerConfig {
  readonly modelName: string;
  /** '' = no local tokenizer. */
  readonly tokenizerPath: string;
  /** null = no /tokenize backend; '' = the candidate's own address. */
  readonly vllmUrl: string | null;
  readonly vllmTimeoutMs: number;
}

const PARAMS = ['modelName', 'tokenizerPath', 'vllm', 'estimate', 'udsTokenizerConfig'] as const;
const VLLM_PARAMS = ['url', 'http', 'timeout', 'mmTimeout'] as const;

class Tokenized implements TokenizedPrompt {
  readonly request: LLMRequest;
  readonly tokens: ArrayLike<number>;
  readonly exact: boolean;
  constructor(request: LLMRequest, tokens: ArrayLike<number>, exact: boolean) {
    this.request = request;
    this.tokens = tokens;
    this.exact = exact;
  }
}

export class TokenProducer implements DataProducer {
  readonly type = TOKEN_PRODUCER_TYPE;
  readonly name: string;
  readonly config: TokenProducerConfig;
  readonly produces: readonly string[];
  readonly #key: string;
  readonly #tokenizer: TextTokenizer | null;
  readonly client: TokenizeClient | null;

  constructor(name: string, config: TokenProducerConfig, tokenizer: TextTokenizer | null = null) {
    this.name = name;
    this.config = config;
    this.#key = dataKey(TOKENIZED_PROMPT_KEY, name);
    this.produces = [this.#key];
    this.#tokenizer = tokenizer ?? (config.tokenizerPath === '' ? null : loadTokenizer(config.tokenizerPath));
    this.client = config.vllmUrl === null ? null : new TokenizeClient({ timeoutMs: config.vllmTimeoutMs, cacheEntries: 4096 });
  }

  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    if (request.data.has(this.#key) && (request.data.get(this.#key) as TokenizedPrompt).request === request) return;
    request.data.set(this.#key, this.tokenize(request, candidates[0]));
  }

  tokenize(request: LLMRequest, endpoint: Endpoint | undefined): TokenizedPrompt {
    const ids = tokenIdsOf(request);
    if (ids !== null) return new Tokenized(request, ids, true);
    const chat = chatMessages(request);
    if (this.#tokenizer !== null) {
      return new Tokenized(request, this.#tokenizer.encode(chat === null ? request.promptText : renderChatML(chat)), true);
    }
    if (this.client !== null) {
      const base = this.config.vllmUrl || (endpoint === undefined ? '' : `http://${endpoint.address}:${endpoint.port}`);
      const model = this.config.modelName || request.targetModel || request.model;
      const tokens = base === '' ? null : this.client.tokens(base, model, request.promptText, chat);
      if (tokens !== null) return new Tokenized(request, tokens, true);
    }
    return new Tokenized(request, estimateTokens(request), false);
  }
}

/** Tokens-in requests (vllm-http / sglang-http parsers, completions with token ids) carry a JSON int array. */
function tokenIdsOf(request: LLMRequest): number[] | null {
  const t = request.promptText;
  if (t.length < 2 || t.charCodeAt(0) !== 0x5b /* [ */ || request.path.includes('chat/completions')) return null;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && x >= 0) ? (v as number[]) : null;
  } catch {
    return null;
  }
}

export function readTokenProducerConfig(name: string, p: Params): TokenProducerConfig {
  let vllmUrl: string | null = null;
  let vllmTimeoutMs = 5000;
  const vllm = p['vllm'];
  if (vllm !== undefined && vllm !== null) {
    const v = readParams(`${name}.vllm`, vllm, VLLM_PARAMS);
    // `http` is the older spelling of `url` (llm-d-inference-scheduler samples).
    vllmUrl = stringParam(name, v, 'url', stringParam(name, v, 'http', '')).replace(/\/+$/, '');
    vllmTimeoutMs = durationMsParam(name, v, 'timeout', 5000);
  }
  return { modelName: stringParam(name, p, 'modelName', ''), tokenizerPath: stringParam(name, p, 'tokenizerPath', ''), vllmUrl, vllmTimeoutMs };
}

export function createTokenProducer(name: string, params: unknown, handle: PluginHandle): TokenProducer {
  const p = readParams(name, params, PARAMS);
  if (p['udsTokenizerConfig'] !== undefined) {
    handle.logger.warn({ plugin: name }, 'token-producer: the UDS tokenizer sidecar (udsTokenizerConfig) is not supported; set tokenizerPath or vllm.url (using the estimate)');
  }
  const config = readTokenProducerConfig(name, p);
  try {
    return new TokenProducer(name, config);
  } catch (err) {
    if (err instanceof PluginConfigError) throw err;
    throw new PluginConfigError(name, 'tokenizerPath', `cannot load ${config.tokenizerPath}: ${(err as Error).message}`);
  }
}
