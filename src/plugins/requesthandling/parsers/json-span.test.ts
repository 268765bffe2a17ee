import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testRandom } from '../../../../test/support/scheduling/testing.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan, topLevelMemberText } from './json-span.ts';

test('json-span: the raw text of a top-level member, whitespace and nesting kept', () => {
  const body = '{ "model" : "m",\n  "messages": [ {"role":"user", "content":"a [b] {c}"} ] ,"stream":true}';
  assert.equal(topLevelMemberText(body, 'messages'), '[ {"role":"user", "content":"a [b] {c}"} ]');
  assert.equal(topLevelMemberText(body, 'model'), '"m"');
  assert.equal(topLevelMemberText(body, 'stream'), 'true');
  assert.equal(topLevelMemberText(body, 'absent'), null);
});

test('json-span: quotes, backslashes and brackets inside strings do not end a value', () => {
  const messages = [{ role: 'user', content: 'say "]}" and \\ then \\" and "messages": [1' }, { role: 'assistant', content: '\\\\' }];
  const body = `{"note":${JSON.stringify('"messages":[]')},"messages":${JSON.stringify(messages)},"n":-1.5e3}`;
  assert.equal(topLevelMemberText(body, 'messages'), JSON.stringify(messages));
  assert.equal(topLevelMemberText(body, 'n'), '-1.5e3');
  assert.equal(topLevelMemberText(body, 'note'), JSON.stringify('"messages":[]'));
});

test('json-span: a nested member of the same name is not a top-level member', () => {
  const body = '{"a":{"messages":[1]},"b":[{"messages":2}]}';
  assert.equal(topLevelMemberText(body, 'messages'), null);
});

test('json-span: the last duplicate wins, as in JSON.parse', () => {
  const body = '{"messages":[1],"x":null,"messages":[2, 3]}';
  assert.equal(topLevelMemberText(body, 'messages'), '[2, 3]');
  assert.deepEqual(JSON.parse(topLevelMemberText(body, 'messages')!), JSON.parse(body).messages);
});

test('json-span: keys written with escapes are compared decoded', () => {
  assert.equal(topLevelMemberText('{"m\\u0065ssages":[1]}', 'messages'), '[1]');
  assert.equal(topLevelMemberText('{"a\\"b":[1],"messages":2}', 'a"b'), '[1]');
  assert.equal(topLevelMemberText('[1,2]', 'messages'), null);
});

test('json-span: agrees with JSON.parse on random documents', () => {
  const rnd = testRandom(4);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const str = () => Array.from({ length: Math.floor(rnd() * 8) }, () => pick(['a', '"', '\\', '[', ']', '{', '}', ',', ':', ' ', 'é', '\n', '\u2028'])).join('');
  const value = (depth: number): unknown => {
    const k = depth > 3 ? Math.floor(rnd() * 4) : Math.floor(rnd() * 6);
    if (k === 0) return str();
    if (k === 1) return Math.floor(rnd() * 2000) - 1000;
    if (k === 2) return pick([true, false, null]);
    if (k === 3) return rnd();
    if (k === 4) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [str(), value(depth + 1)]));
  };
  for (let n = 0; n < 500; n++) {
    const doc: Record<string, unknown> = {};
    for (let m = 0; m < 4; m++) doc[pick(['messages', 'model', str()])] = value(0);
    const text = JSON.stringify(doc, null, pick([0, 1, '\t']));
    for (const key of Object.keys(doc)) {
      const raw = topLevelMemberText(text, key);
      assert.ok(raw !== null, `${key} in ${text}`);
      assert.deepEqual(JSON.parse(raw), doc[key]);
    }
  }
});

test('json-span: nesting depth counts objects and arrays outside strings, the top level as 1', () => {
  assert.equal(nestsDeeperThan('{"a":[1]}', 2), false);
  assert.equal(nestsDeeperThan('{"a":[[1]]}', 2), true);
  assert.equal(nestsDeeperThan('[{}, {}, [], {"b": {}}]', 3), false, 'siblings do not add up');
  assert.equal(nestsDeeperThan('{"a":"[[[[{{{{"}', 2), false, 'brackets in strings');
  assert.equal(nestsDeeperThan('{"a":"\\"[[[[", "b":[1]}', 2), false, 'an escaped quote does not end the string');
  assert.equal(nestsDeeperThan('{"a":"\\\\", "b":[[1]]}', 2), true, 'an escaped backslash does');
  assert.equal(nestsDeeperThan('"unterminated [[[[', 2), false, 'not JSON: left to JSON.parse');
  assert.equal(nestsDeeperThan('['.repeat(1_000_000), MAX_JSON_DEPTH), true);
  const wide = JSON.stringify({ messages: Array.from({ length: 3000 }, (_, i) => ({ role: 'user', content: `m${i}` })) });
  assert.equal(nestsDeeperThan(wide, MAX_JSON_DEPTH), false, 'many brackets, shallow');
});
