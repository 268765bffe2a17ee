/**
 * The HTTP request the load generator sends for a work item: vLLM benchmark style (stream, usage in the
 * stream, ignore_eos so the output length is exact). The fast simulation builds the same bytes, so both
 * modes feed the picker and the simulator identical requests.
 */
import type { WorkItem } from './workload.ts';

export interface RequestSpec {
  path: '/v1/completions' | '/v1/chat/completions';
  body: string;
  model: string;
}

export function requestSpec(item: WorkItem, baseModel: string): RequestSpec {
  const model = item.model || baseModel;
  const common = { ignore_eos: true, stream: true, stream_options: { include_usage: true } };
  if (item.api === 'completion') {
    return {
      path: '/v1/completions',
      model,
      body: JSON.stringify({ model, prompt: item.prompt, max_tokens: item.outputTokens, ...common }),
    };
  }
  const messages = item.system
    ? [
        { role: 'system', content: item.system },
        { role: 'user', content: item.prompt },
      ]
    : [{ role: 'user', content: item.prompt }];
  return {
    path: '/v1/chat/completions',
    model,
    body: JSON.stringify({ model, messages, max_completion_tokens: item.outputTokens, ...common }),
  };
}
