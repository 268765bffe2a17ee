import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpProtocolError, PageTooLargeError, ResponseParser } from './response-parser.ts';

interface Seen {
  status: number;
  page: string;
  keepAlive: boolean;
}

function parser(maxBytes = 1 << 20) {
  const seen: Seen[] = [];
  const p = new ResponseParser(maxBytes, (status, body, start, end, keepAlive) => void seen.push({ status, page: body.toString('utf8', start, end), keepAlive }));
  return { p, seen };
}

/** Feeds `wire` split at every possible point (two pieces) and once byte by byte; every run must agree. */
function everySplit(wire: string, check: (seen: Seen[], ok: boolean, p: ResponseParser) => void): void {
  const bytes = Buffer.from(wire, 'latin1');
  const feeds: Buffer[][] = [[bytes], Array.from(bytes, (b) => Buffer.from([b]))];
  for (let i = 1; i < bytes.length; i++) feeds.push([bytes.subarray(0, i), bytes.subarray(i)]);
  for (const pieces of feeds) {
    const { p, seen } = parser();
    p.expectResponse();
    let ok = true;
    for (const piece of pieces) ok &&= p.push(piece, 0, piece.length);
    check(seen, ok, p);
  }
}

const PAGE = 'vllm:num_requests_waiting{engine="0"} 4.0\nvllm:num_requests_running{engine="0"} 2.0\n';

test('Content-Length body, split anywhere', () => {
  everySplit(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${PAGE.length}\r\n\r\n${PAGE}`, (seen, ok) => {
    assert.equal(ok, true);
    assert.deepEqual(seen, [{ status: 200, page: PAGE, keepAlive: true }]);
  });
});

test('chunked body with extensions and trailers, split anywhere', () => {
  const a = PAGE.slice(0, 30);
  const b = PAGE.slice(30);
  const wire = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${a.length.toString(16)};ext=1\r\n${a}\r\n${b.length.toString(16).toUpperCase()}\r\n${b}\r\n0\r\nx-trailer: 1\r\n\r\n`;
  everySplit(wire, (seen, ok) => {
    assert.equal(ok, true);
    assert.deepEqual(seen, [{ status: 200, page: PAGE, keepAlive: true }]);
  });
});

test('interim 1xx responses are skipped; connection: close and HTTP/1.0 turn keep-alive off', () => {
  everySplit(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok`, (seen, ok) => {
    assert.equal(ok, true);
    assert.deepEqual(seen, [{ status: 200, page: 'ok', keepAlive: false }]);
  });
  const { p, seen } = parser();
  p.expectResponse();
  const wire = Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.equal(p.push(wire, 0, wire.length), true);
  assert.deepEqual(seen, [{ status: 200, page: 'ok', keepAlive: false }]);
});

test('a body without length or chunking ends with the connection', () => {
  const { p, seen } = parser();
  p.expectResponse();
  const wire = Buffer.from(`HTTP/1.1 200 OK\r\n\r\n${PAGE}`);
  assert.equal(p.push(wire, 0, wire.length), true);
  assert.equal(seen.length, 0);
  assert.equal(p.endOfInput(), true);
  assert.deepEqual(seen, [{ status: 200, page: PAGE, keepAlive: false }]);
});

test('an error status keeps no body but is read to its end; 204 has none', () => {
  everySplit('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\nboom', (seen, ok) => {
    assert.equal(ok, true);
    assert.deepEqual(seen, [{ status: 500, page: '', keepAlive: true }]);
  });
  const { p, seen } = parser();
  p.expectResponse();
  const wire = Buffer.from('HTTP/1.1 204 No Content\r\n\r\n');
  assert.equal(p.push(wire, 0, wire.length), true);
  assert.deepEqual(seen, [{ status: 204, page: '', keepAlive: true }]);
});

test('the parser is reused across responses on one connection', () => {
  const { p, seen } = parser();
  for (const body of ['one', 'two-longer', PAGE]) {
    p.expectResponse();
    const wire = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    // Split the body so the copying path is used as well as the decode-in-place one.
    assert.equal(p.push(wire, 0, wire.length - 2), true);
    assert.equal(p.push(wire, wire.length - 2, wire.length), true);
  }
  assert.deepEqual(seen.map((s) => s.page), ['one', 'two-longer', PAGE]);
});

test('pages over the limit, malformed heads and stray bytes fail', () => {
  const big = parser(10);
  big.p.expectResponse();
  const declared = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n');
  assert.equal(big.p.push(declared, 0, declared.length), false);
  assert.ok(big.p.error instanceof PageTooLargeError);

  big.p.expectResponse();
  const chunked = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\n123456\r\n6\r\n123456\r\n0\r\n\r\n');
  assert.equal(big.p.push(chunked, 0, chunked.length), false);
  assert.ok(big.p.error instanceof PageTooLargeError);

  for (const wire of ['HTTP/2 200\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n']) {
    const { p, seen } = parser();
    p.expectResponse();
    const b = Buffer.from(wire);
    assert.equal(p.push(b, 0, b.length), false, wire);
    assert.ok(p.error instanceof HttpProtocolError);
    assert.equal(seen.length, 0);
  }

  const { p, seen } = parser();
  p.expectResponse();
  const extra = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA');
  assert.equal(p.push(extra, 0, extra.length), false, 'bytes after a complete response');
  assert.equal(seen.length, 1);
  const cut = parser();
  cut.p.expectResponse();
  const half = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\nshort');
  assert.equal(cut.p.push(half, 0, half.length), true);
  assert.equal(cut.p.endOfInput(), false);
  assert.equal(cut.seen.length, 0);
});
