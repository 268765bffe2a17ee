/**
 * Engine configuration and the named hardware/model profiles. Step-time constants are the BLIS "blackbox"
 * regression fitted on real vLLM v0.8.4 traces (inference-sim/inference-sim defaults.yaml @ f2ceed3b), in ms:
 *
 *   step_ms  = stepBaseMs                         (β0: fixed cost of one forward pass)
 *            + prefillTokenMs  · uncached prompt tokens computed in the step     (β1)
 *            + decodeRequestMs · decoding requests in the step                   (β2)
 *            + contextTokenMs  · Σ context length of the decoding requests       (β3, KV reads; see below)
 *            + loraLoadMs      · adapters loaded into a GPU slot this step
 *   api_ms   = queueBaseMs + queueTokenMs · prompt tokens   (α0, α1: HTTP/tokenise before the scheduler sees it)
 *
 * β3 is not in the BLIS fit (its traces had short contexts); it is the roofline cost of reading one token's
 * K and V for every layer once per decode step: bytes_per_token / HBM bandwidth. It matters for models
 * without grouped-query attention, whose KV is 4x larger (Llama-2-7B: 2·32 layers·32 heads·128·2 B = 512 KiB
 * per token; / 3.35 TB/s = 0.156 µs per token per step).
 */
export interface EngineConfig {
  /** Served model name (`model` in requests, `model_name` label). */
  modelName: string;
  /** vLLM --max-num-seqs: most requests in one batch. */
  maxNumSeqs: number;
  /** vLLM --max-num-batched-tokens: token budget per step (chunked prefill splits longer prompts). */
  maxNumBatchedTokens: number;
  /** KV block size in tokens (vLLM --block-size). */
  blockSize: number;
  /** KV blocks on the GPU (vllm:cache_config_info num_gpu_blocks). */
  numGpuBlocks: number;
  /** Longest prompt + output accepted; longer requests get 400 as in vLLM. */
  maxModelLen: number;
  /** vLLM --max-loras: distinct adapters in one batch; 0 disables LoRA. */
  maxLoras: number;
  /** Cost added to a step that loads an adapter into a GPU slot. Assumed (PCIe copy of a rank-16 adapter). */
  loraLoadMs: number;
  /** Waiting-queue bound; beyond it requests get 429 (llm-d-inference-sim behaviour). 0 = unbounded (vLLM). */
  maxWaiting: number;
  stepBaseMs: number;
  prefillTokenMs: number;
  decodeRequestMs: number;
  contextTokenMs: number;
  queueBaseMs: number;
  queueTokenMs: number;
}

/** BLIS fit, Llama-3.1-8B-Instruct on one H100 (vLLM V1 H100 defaults for seqs and token budget). */
export const LLAMA3_8B_H100: EngineConfig = {
  modelName: 'meta-llama/Llama-3.1-8B-Instruct',
  maxNumSeqs: 1024,
  maxNumBatchedTokens: 8192,
  blockSize: 16,
  numGpuBlocks: 29205,
  maxModelLen: 131072,
  maxLoras: 0,
  loraLoadMs: 10,
  maxWaiting: 0,
  stepBaseMs: 5.7527,
  prefillTokenMs: 0.01725,
  decodeRequestMs: 0.006,
  contextTokenMs: 0,
  queueBaseMs: 0.2325,
  queueTokenMs: 0.00175,
};

/**
 * The Kubernetes-blog setup (Llama-2-7B, vLLM V1, H100 80 GB): the H100 β0..β2 fit (same 7-8B dense compute),
 * plus the β3 KV-read term, and a KV pool sized for Llama-2's 512 KiB/token:
 * (0.9 · 80 GiB − 13.5 GB weights − ~3 GB activations) / (16 · 512 KiB) ≈ 7,250 blocks (116k tokens).
 */
export const LLAMA2_7B_H100: EngineConfig = {
  ...LLAMA3_8B_H100,
  modelName: 'meta-llama/Llama-2-7b-hf',
  numGpuBlocks: 7250,
  maxModelLen: 4096,
  contextTokenMs: 0.000156,
};

/** BLIS fit, Llama-3.1-8B-Instruct on one A100-80GB (vLLM V1 non-H100 defaults). */
export const LLAMA3_8B_A100: EngineConfig = {
  ...LLAMA3_8B_H100,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 2048,
  stepBaseMs: 16.4415,
  prefillTokenMs: 0.04784,
  decodeRequestMs: 0.01821,
  queueBaseMs: 7.74,
  queueTokenMs: 0.00231,
};

export const PROFILES: Readonly<Record<string, EngineConfig>> = {
  'llama2-7b-h100': LLAMA2_7B_H100,
  'llama3-8b-h100': LLAMA3_8B_H100,
  'llama3-8b-a100': LLAMA3_8B_A100,
};

export const DEFAULT_PROFILE = 'llama2-7b-h100';

export function profile(name: string): EngineConfig {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown simulator profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return { ...p };
}
