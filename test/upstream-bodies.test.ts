/**
 * Request bodies from upstream's parser tests (test/data/upstream/bodies/, SOURCES.md there), each sent
 * through the director with the default config (upstream's default parsers): `route` = routed, counted
 * under the expected model; `reject-400` = answered 400, as upstream (a parse error, or no model).
 * GIE v1.0 parsed bodies whatever the path: its cases are sent to the path their body belongs to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestContext } from '../src/requestcontrol/request-context.ts';
import { directorFixture } from './support/director-fixture.ts';

interface BodyCase {
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly expect: 'route' | 'reject-400';
  readonly expectModel?: string;
}

const cases: BodyCase[] = JSON.parse(readFileSync(join(import.meta.dirname, 'data/upstream/bodies/cases.json'), 'utf8'));

test('upstream request bodies: routed with their model, or 400, as upstream', () => {
  const f = directorFixture();
  const wrong: string[] = [];
  for (const c of cases) {
    const ctx = new RequestContext();
    let headers = c.headers;
    if (c.id.startsWith('gie-v1.0.0:') && Object.keys(headers).length === 0) {
      headers = { ':path': c.body.includes('"messages"') ? '/v1/chat/completions' : '/v1/completions' };
    }
    for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
    f.director.handleRequestHeaders(ctx);
    const b = Buffer.from(c.body);
    const d = f.director.handleRequest(ctx, { chunks: [b], bytes: b.length });
    if (c.expect === 'route') {
      if (!d.ok) wrong.push(`${c.id}: want routed, got ${d.status} ${d.error.message}`);
      else if (ctx.request.model !== c.expectModel) wrong.push(`${c.id}: want model ${c.expectModel}, got ${ctx.request.model}`);
      if (d.ok) f.director.handleResponseComplete(ctx, 'natural');
    } else if (d.ok || d.status !== 400) {
      wrong.push(`${c.id}: want 400, got ${d.ok ? 'routed' : d.status}`);
    }
  }
  console.log(`upstream bodies: ${cases.length} cases (${cases.filter((c) => c.expect === 'route').length} routed, ${cases.filter((c) => c.expect !== 'route').length} rejected with 400)`);
  assert.deepEqual(wrong, []);
});
