/**
 * Sends one streaming OpenAI request and times it as vLLM's benchmark client does: TTFT at the first SSE
 * message with choices, ITL between later ones, latency at the last token message (the trailing usage
 * message does not move it), output tokens from usage.completion_tokens (else the number of token messages).
 * Wall-clock times are divided by `timeScale` to give model time.
 */
import type { Dispatcher } from 'undici';
import type { RequestRecord } from './results.ts';
import type { RequestSpec } from './request-body.ts';

export interface TimedResult {
  record: RequestRecord;
  /** Gaps between token messages, model ms. */
  itls: number[];
}

interface StreamEvent {
  choices?: unknown[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
}

export async function sendTimed(
  dispatcher: Dispatcher,
  origin: string,
  spec: RequestSpec,
  sentAt: number,
  timeScale: number,
  requestId: string,
  signal: AbortSignal,
): Promise<TimedResult> {
  const record: RequestRecord = { sentAt, status: 'error', ttftMs: 0, e2eMs: 0, outputTokens: 0, promptTokens: 0, cachedTokens: 0, endpoint: '', code: 0 };
  const itls: number[] = [];
  const st = performance.now();
  try {
    const res = await dispatcher.request({
      origin,
      path: spec.path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: spec.body,
      signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    record.code = res.statusCode;
    const pod = res.headers['x-inference-pod'];
    record.endpoint = typeof pod === 'string' ? pod : '';
    if (res.statusCode !== 200) {
      await res.body.text().catch(() => '');
      record.status = res.statusCode === 429 ? 'shed' : 'error';
      return { record, itls };
    }
    let pending = '';
    let first = -1;
    let last = -1;
    let chunks = 0;
    let completion = -1;
    for await (const data of res.body) {
      const now = performance.now();
      pending += (data as Buffer).toString('utf8');
      let sep = pending.indexOf('\n\n');
      while (sep >= 0) {
        const event = pending.slice(0, sep);
        pending = pending.slice(sep + 2);
        sep = pending.indexOf('\n\n');
        if (!event.startsWith('data: ')) continue;
        const payload = event.slice(6).trim();
        if (payload === '[DONE]') continue;
        const msg = JSON.parse(payload) as StreamEvent;
        if (Array.isArray(msg.choices) && msg.choices.length > 0) {
          if (first < 0) first = now;
          else itls.push((now - last) / timeScale);
          last = now;
          chunks++;
        }
        if (msg.usage) {
          completion = msg.usage.completion_tokens ?? completion;
          record.promptTokens = msg.usage.prompt_tokens ?? 0;
          record.cachedTokens = msg.usage.prompt_tokens_details?.cached_tokens ?? 0;
        }
      }
    }
    if (first < 0) {
      record.code = 0;
      return { record, itls }; // no token chunk: a failure, as in vLLM's client
    }
    record.status = 'ok';
    record.ttftMs = (first - st) / timeScale;
    record.e2eMs = (last - st) / timeScale;
    record.outputTokens = completion >= 0 ? completion : chunks;
  } catch {
    record.status = 'error';
    record.code = 0;
  }
  return { record, itls };
}
