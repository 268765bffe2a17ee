/**
 * A loopback stand-in for upstream's latency-predictor sidecar (latencypredictorclient/types.go JSON): answers
 * what `handler` returns, or holds the request (null) until the client gives up. Emits 'request' once a body
 * is read and 'aborted' when the client closes a held request, so tests wait on events, not sleeps.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLatencySidecar {
  readonly url: string;
  readonly seen: { path: string; body: any }[];
  readonly events: EventEmitter;
  close(): Promise<void>;
}

export async function fakeLatencySidecar(handler: (path: string, body: any) => [number, unknown] | null): Promise<FakeLatencySidecar> {
  const seen: { path: string; body: any }[] = [];
  const events = new EventEmitter();
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw);
    seen.push({ path: req.url!, body });
    const answer = handler(req.url!, body);
    if (answer === null) res.on('close', () => events.emit('aborted', req.url));
    else res.writeHead(answer[0], { 'content-type': 'application/json' }).end(JSON.stringify(answer[1]));
    events.emit('request', req.url, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    events,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const s = await fakeLatencySidecar(() => [200, {}]);
  await s.close();
  return s.url;
}
