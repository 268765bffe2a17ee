/**
 * A peer router inside the local gateway (end-to-end mode): the request body gives the text the peer hashes
 * (completions prompt, or the chat messages' contents joined by newlines, as production-stack reads them),
 * model time is wall time / timeScale, and the gateway reports first chunk and end.
 */
import type { BodyRouter, RoutedRequest } from '../../../dev-stack/gateway/gateway.ts';
import type { PeerRequest, PeerRouter } from './peer.ts';

export function peerBodyRouter(peer: PeerRouter, timeScale: number): BodyRouter {
  const t0 = performance.now();
  return {
    route(_path: string, body: Buffer, n: number): RoutedRequest {
      const text = promptText(body);
      const req: PeerRequest = { text, tokens: Math.ceil(text.length / 4) };
      const index = peer.pick(req, n, (performance.now() - t0) / timeScale);
      let first = false;
      return {
        index,
        firstChunk(): void {
          if (!first) peer.firstToken(index, req);
          first = true;
        },
        done(): void {
          peer.finish(index, req);
        },
      };
    },
  };
}

/** The prompt text of an OpenAI completions or chat body; '' when it has none. */
export function promptText(body: Buffer): string {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return '';
  }
  const o = v as { prompt?: unknown; messages?: unknown };
  if (typeof o.prompt === 'string') return o.prompt;
  if (Array.isArray(o.messages)) {
    return o.messages
      .map((m) => {
        const c = (m as { content?: unknown }).content;
        return typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => (typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('') : '';
      })
      .join('\n');
  }
  return '';
}
