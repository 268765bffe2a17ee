/**
 * One LLM request as the scheduler sees it. Built by the ext_proc stream from headers and body, then
 * completed by the director (target model, priority). Fields are all assigned up front (stable shape).
 */
export class LLMRequest {
  /** x-request-id (generated when absent). */
  requestId = '';
  /** :path of the HTTP request, e.g. /v1/chat/completions. */
  path = '';
  /** `model` from the body, as the client sent it. */
  model = '';
  /** Model after rewrite (InferenceModel targetModels / InferenceModelRewrite / header); the LoRA adapter to route for. */
  targetModel = '';
  /**
   * The text prefix-cache affinity hashes: the completions prompt, or the JSON text of the chat messages.
   * Empty when the body has neither, and emptied by the ext_proc stream once the request is scheduled.
   */
  promptText = '';
  /** cache_salt from the body; part of the prefix-hash seed. */
  cacheSalt = '';
  stream = false;
  /** InferenceObjective priority (0 when none); negative = sheddable. */
  priority = 0;
  /** Sheddable under saturation (priority < 0 or InferenceModel criticality Sheddable). */
  sheddable = false;
  /** Name from x-llm-d-inference-objective (alias x-gateway-inference-objective); '' when absent. */
  objective = '';
  /** x-llm-d-inference-fairness-id (alias x-gateway-inference-fairness-id); 'default-flow' when absent. */
  fairnessId = '';
  /** x-llm-d-slo-ttft-ms (alias x-slo-ttft-ms) in ms; 0 when absent or not a number. */
  sloTtftMs = 0;
  /** x-llm-d-slo-tpot-ms (alias x-slo-tpot-ms) in ms; 0 when absent or not a number. */
  sloTpotMs = 0;
  /** Size of the request body in bytes. */
  bodySize = 0;
  /**
   * Prompt tokens the primary pick is expected to hold in its prefix cache: written by the prefix-cache
   * producer in PreRequest (0 when no plugin estimates it), read by load estimators once the cycle is over.
   */
  cachedPromptTokens = 0;
  /**
   * Data plugins produce for others during this request, by data key (framework/data-keys.ts), e.g. the
   * prefix-cache match of the candidates. Producers reuse their values; see each key for how long one lasts.
   */
  readonly data: Map<string, unknown> = new Map();
  /** Lower-cased request headers (values from raw_value, else value). */
  readonly headers: Map<string, string> = new Map();
  /**
   * Headers a PreRequest hook asks the director to set on the forwarded request (e.g. the disaggregated
   * handler's x-prefiller-host-port), by lower-cased name. null until a hook sets one: the common path
   * allocates nothing.
   */
  outHeaders: Map<string, string> | null = null;
}
