/**
 * A model's own tokenizer in-process: `tokenizer.json` (and `tokenizer_config.json` when next to it) loaded
 * with @huggingface/tokenizers (pure JS, no download). `path` is the file or the directory holding it, e.g. a
 * ConfigMap mounted at /etc/tokenizer.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export interface TextTokenizer {
  encode(text: string): number[];
}

export function loadTokenizer(path: string): TextTokenizer {
  const file = statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  const json = JSON.parse(readFileSync(file, 'utf8')) as object;
  const configFile = join(dirname(file), 'tokenizer_config.json');
  const config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as object) : {};
  const tokenizer = new Tokenizer(json, config);
  // Special tokens are the engine's business (chat template markers stay text-encoded as the model's vocab says).
  return { encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids };
}
