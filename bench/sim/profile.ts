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
  /**
   * Compute-bound regime: GEMM time per batched token (prefill + decode). A step costs at least this times its
   * tokens; large decode batches stop being weight-read bound (Vidur H100 linear-op profiles). 0/absent = off.
   */
  computeTokenMs?: number;
  /**
   * Output processing (detokenise, stream) per output token, off the engine clock, as BLIS's α2: token k
   * reaches the client k·α2 after the step that sampled it, and the engine's own timing is unchanged.
   */
  outputTokenMs?: number;
  /** A step that batches any adapter request costs this many times as much (punica LoRA kernels). 1/absent = off. */
  loraStepFactor?: number;
}

/*
 * Calibration (bench/routing-study/compare/calibration.test.ts pins the points within 10%; sources in
 * bench/sim/README.md "Calibration"). Shared constants, with their sources:
 * - VIDUR_H100_GEMM_MS = 21.2 ms / 1024 tokens: the summed TP1 medians of Llama-2-7B's linear ops on H100
 *   (microsoft/vidur @ 7d47513, data/profiling/compute/h100/meta-llama/Llama-2-7b-hf/mlp.csv, 32 layers).
 * - BLIS_ALPHA2_MS = 3.36 ms per output token (BLIS blackbox α2, Llama-3.1-8B H100 TP1,
 *   inference-sim/inference-sim defaults.yaml @ f2ceed3b): output processing outside the GPU step.
 * - LORA_STEP_FACTOR = 11.45 / 7.60 req/s = 1.51 (vllm-project/vllm PR #11267, Llama-2-7B, ShareGPT, with
 *   and without an adapter).
 * - KV reads: bytes per token / (HBM bandwidth × KV_READ_EFFICIENCY); 0.7 is the efficiency that puts
 *   Llama-2-7B's saturation on the GIE chart's 26.5 req/s per replica (shared reference simulator-fidelity.md
 *   §1.3 and §6, "attn70"); BLIS trained-physics fits 1/1.947 = 0.51, the pessimistic end.
 */
const VIDUR_H100_GEMM_MS = 21.2 / 1024;
const BLIS_ALPHA2_MS = 3.36;
const LORA_STEP_FACTOR = 11.45 / 7.6;
const KV_READ_EFFICIENCY = 0.6;
/**
 * Per decoding request per step, on top of the GPU fits' β2: 36 µs, fitted to the vLLM V1 blog's Llama-3.1-8B
 * load curve (mean E2E 1.7 / 2.0 / 2.8 / 3.9 / 7.1 s at 1 / 20 / 40 / 50 / 60 QPS, vllm-project.github.io
 * 2025-01-27-v1-alpha-release.md, v1_llama.png). With BLIS's 6 µs alone the knee sat at ~128 QPS against the
 * blog's 50-60: per-request work on the CPU (scheduling, sampling, detokenising) that the GPU-only fits leave
 * out. It is hardware-independent, so every Llama-3 profile carries it; the Llama-2 profile, matched to the GIE
 * chart's vLLM 0.8.x servers without it, does not.
 */
const V1_CPU_REQUEST_MS = 0.036;
/** ms to read `bytes` of KV per decode step at `tbps` TB/s peak HBM bandwidth. */
const kvReadMs = (bytes: number, tbps: number): number => (bytes / (tbps * 1e12 * KV_READ_EFFICIENCY)) * 1000;
/** K and V of one token, all layers, bf16: 2 · layers · kv_heads · head_dim · 2 B. */
const kvBytes = (layers: number, kvHeads: number, headDim = 128): number => 2 * layers * kvHeads * headDim * 2;

/**
 * Llama-3.1-8B-Instruct on one H100 SXM (3.35 TB/s): β0..β2, α0, α1 are the BLIS fit (vLLM V1 H100 defaults for
 * seqs and token budget); GQA KV is 128 KiB per token (32 layers · 8 KV heads); GEMMs as Vidur; α2 as BLIS.
 */
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
  decodeRequestMs: 0.006 + V1_CPU_REQUEST_MS,
  contextTokenMs: kvReadMs(kvBytes(32, 8), 3.35),
  queueBaseMs: 0.2325,
  queueTokenMs: 0.00175,
  computeTokenMs: VIDUR_H100_GEMM_MS,
  outputTokenMs: BLIS_ALPHA2_MS,
  loraStepFactor: LORA_STEP_FACTOR,
};

/**
 * The Kubernetes-blog setup (Llama-2-7B, vLLM V1, H100 80 GB): the H100 β0..β2 fit (same 7-8B dense compute),
 * KV reads of Llama-2's 512 KiB/token (no GQA: 32 layers · 32 heads), and a KV pool sized for it:
 * (0.9 · 80 GiB − 13.5 GB weights − ~3 GB activations) / (16 · 512 KiB) ≈ 7,250 blocks (116k tokens).
 */
export const LLAMA2_7B_H100: EngineConfig = {
  ...LLAMA3_8B_H100,
  modelName: 'meta-llama/Llama-2-7b-hf',
  numGpuBlocks: 7250,
  // BLIS β2 alone: the GIE chart's servers (vLLM 0.8.x) are matched with it (saturation 26.4 vs 26.5 req/s).
  decodeRequestMs: 0.006,
  maxModelLen: 4096,
  contextTokenMs: kvReadMs(kvBytes(32, 32), 3.35),
};

/**
 * Llama-3.1-8B-Instruct on one A100-80GB (2.039 TB/s): BLIS A100 fit (vLLM V1 non-H100 defaults); GEMM time
 * = Vidur's H100 rate × BLIS's A100/H100 prefill ratio (47.84 / 17.25, derived).
 */
export const LLAMA3_8B_A100: EngineConfig = {
  ...LLAMA3_8B_H100,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 2048,
  stepBaseMs: 16.4415,
  prefillTokenMs: 0.04784,
  decodeRequestMs: 0.01821 + V1_CPU_REQUEST_MS,
  contextTokenMs: kvReadMs(kvBytes(32, 8), 2.039),
  queueBaseMs: 7.74,
  queueTokenMs: 0.00231,
  computeTokenMs: VIDUR_H100_GEMM_MS * (47.84 / 17.25),
};

/**
 * Llama-3.1-8B-Instruct on one NVIDIA L4 (24 GB, 300 GB/s, 121 TFLOPS dense bf16), roofline-derived (no
 * published vLLM fit): β0 = 16.06 GB of weights read at 80% of 300 GB/s = 66.9 ms; prefill/GEMM = 16.06 GFLOP
 * per token at 50% of 121 TFLOPS = 0.265 ms; KV pool (0.9 · 22.5 GiB − 15 GiB weights − 1.5 GiB) / 2 MiB per
 * block ≈ 1,900 blocks (30k tokens); max_model_len 16384; non-H100 V1 defaults.
 */
export const LLAMA3_8B_L4: EngineConfig = {
  ...LLAMA3_8B_A100,
  numGpuBlocks: 1900,
  maxModelLen: 16384,
  stepBaseMs: 66.9,
  prefillTokenMs: 0.265,
  computeTokenMs: 0.265,
  contextTokenMs: kvReadMs(kvBytes(32, 8), 0.3),
};

/**
 * Llama-3.1-70B-Instruct at TP=4 on H100 (derived; no published vLLM fit): each GPU holds a quarter of the
 * weights and KV (80 layers · 8 KV heads = 320 KiB/token, 80 KiB per GPU). Weight-bound and GEMM terms = the
 * 8B H100 terms × 35.3 / 16.06 GB per GPU (2.2), step base + 80 layers · 2 all-reduces · 15 µs; KV pool
 * (0.9 · 79.2 − 32.9 GiB weights − 4 GiB) / (16 · 80 KiB) ≈ 28,000 blocks.
 */
export const LLAMA3_70B_H100_TP4: EngineConfig = {
  ...LLAMA3_8B_H100,
  modelName: 'meta-llama/Llama-3.1-70B-Instruct',
  numGpuBlocks: 28000,
  stepBaseMs: 5.7527 * 2.2 + 80 * 2 * 0.015,
  prefillTokenMs: 0.01725 * 2.2,
  decodeRequestMs: 0.006 * 2.2 + V1_CPU_REQUEST_MS,
  computeTokenMs: VIDUR_H100_GEMM_MS * 2.2,
  contextTokenMs: kvReadMs(kvBytes(80, 8) / 4, 3.35),
};

export const PROFILES: Readonly<Record<string, EngineConfig>> = {
  'llama2-7b-h100': LLAMA2_7B_H100,
  'llama3-8b-h100': LLAMA3_8B_H100,
  'llama3-8b-a100': LLAMA3_8B_A100,
  'llama3-8b-l4': LLAMA3_8B_L4,
  'llama3-70b-h100-tp4': LLAMA3_70B_H100_TP4,
};

export const DEFAULT_PROFILE = 'llama2-7b-h100';

export function profile(name: string): EngineConfig {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown simulator profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return { ...p };
}
