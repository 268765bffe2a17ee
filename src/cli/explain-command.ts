/**
 * `epp explain`: asks a running picker's POST /debug/explain (metrics port) how it would route a request,
 * and prints every filter's and scorer's result per endpoint, the pick and why the others lost. Nothing is
 * routed. Exit codes: 0 explained, 1 the picker could not be reached or refused, 2 bad arguments.
 */
import { readFileSync } from 'node:fs';
import type { Explanation } from '../framework/explain.ts';
import { explanationText } from '../operator/explain-text.ts';

export const EXPLAIN_HELP = `usage: epp explain [options]
  --url <url>            the picker's metrics port (default http://127.0.0.1:9090)
  --path <path>          API path the body is parsed as (default /v1/chat/completions)
  --data <json|@file>    the request body as a client sends it
  --model <name>         with --prompt: build a chat body instead of --data
  --prompt <text>        the user message of that chat body
  -H, --header <k: v>    a request header (fairness id, objective, model rewrite...); repeatable
  --token-file <file>    bearer token when the metrics port requires one
  --json                 print the explanation as JSON`;

interface ExplainArgs {
  url: string;
  path: string;
  body: string | null;
  headers: Record<string, string>;
  token: string;
  json: boolean;
}

export class ExplainUsageError extends Error {}

export function parseExplainArgs(argv: readonly string[]): ExplainArgs {
  const a: ExplainArgs = { url: 'http://127.0.0.1:9090', path: '/v1/chat/completions', body: null, headers: {}, token: '', json: false };
  let model = '';
  let prompt: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new ExplainUsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--url': a.url = value().replace(/\/+$/, ''); break;
      case '--path': a.path = value(); break;
      case '--data': { const v = value(); a.body = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v; break; }
      case '--model': model = value(); break;
      case '--prompt': prompt = value(); break;
      case '-H': case '--header': {
        const v = value();
        const colon = v.indexOf(':');
        if (colon <= 0) throw new ExplainUsageError(`--header wants "name: value", got "${v}"`);
        a.headers[v.slice(0, colon).trim().toLowerCase()] = v.slice(colon + 1).trim();
        break;
      }
      case '--token-file': a.token = readFileSync(value(), 'utf8').trim(); break;
      case '--json': a.json = true; break;
      default: throw new ExplainUsageError(`unknown option ${arg}`);
    }
  }
  if (prompt !== null) {
    if (a.body !== null) throw new ExplainUsageError('--prompt and --data exclude each other');
    a.body = JSON.stringify({ model, messages: [{ role: 'user', content: prompt }] });
  }
  return a;
}

export async function runExplain(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(EXPLAIN_HELP + '\n');
    return 0;
  }
  let a: ExplainArgs;
  try {
    a = parseExplainArgs(argv);
  } catch (e) {
    err(`epp explain: ${(e as Error).message}\n${EXPLAIN_HELP}\n`);
    return 2;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...a.headers };
  if (a.token) headers['authorization'] = `Bearer ${a.token}`;
  let res: Response;
  try {
    res = await fetch(`${a.url}/debug/explain?path=${encodeURIComponent(a.path)}`, { method: 'POST', headers, body: a.body ?? '', signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    err(`epp explain: ${a.url}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    err(`epp explain: ${a.url}/debug/explain answered ${res.status}: ${text}`);
    return 1;
  }
  out(a.json ? text : explanationText(JSON.parse(text) as Explanation));
  return 0;
}
