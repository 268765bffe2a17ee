import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, type LogOptions } from './logger.ts';

function capture(o: Partial<LogOptions>, log: (l: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, done) {
      lines.push(...c.toString().split('\n').filter((x) => x !== ''));
      done();
    },
  });
  const l = createLogger({ encoder: 'json', level: { verbosity: 0 }, stacktraceLevel: 'error', timeEncoding: 'default', ...o }, sink);
  log(l);
  return lines;
}

test('zap flags on pino: level, stacktrace level, time encoding', () => {
  assert.equal(capture({}, (l) => l.debug('d')).length, 0);
  assert.equal(capture({ level: { verbosity: 2 } }, (l) => l.debug('d')).length, 1);
  assert.equal(capture({ level: { named: 'error' } }, (l) => l.warn('w')).length, 0);
  const [err] = capture({}, (l) => l.error({ a: 1 }, 'boom'));
  assert.match(JSON.parse(err!).stacktrace, /logger\.test\.ts/);
  assert.equal(JSON.parse(capture({}, (l) => l.info('i'))[0]!).stacktrace, undefined, 'info carries none at the default level');
  const t = (e: LogOptions['timeEncoding']) => JSON.parse(capture({ timeEncoding: e }, (l) => l.info('i'))[0]!).time;
  assert.ok(t('epoch') < 1e11, 'epoch seconds');
  assert.ok(t('millis') > 1e12);
  assert.match(t('rfc3339'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(t('iso8601'), /\.\d{3}Z$/);
});

test('--zap-encoder console: time, LEVEL, message, fields', async () => {
  const lines = capture({ encoder: 'console' }, (l) => l.info({ a: 1 }, 'hello'));
  await new Promise((r) => setImmediate(r));
  assert.match(lines[0] ?? '', /^\d+\tINFO\thello\t\{.*"a":1/);
});
