import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileWatcher } from './file-watcher.ts';

test('the stat poll notices a file whose directory could not be watched', { timeout: 10_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'epp-watch-'));
  const dir = join(root, 'not-yet');
  const errors: Error[] = [];
  let changed!: () => void;
  const change = new Promise<void>((resolve) => (changed = resolve));
  const watcher = new FileWatcher(join(dir, 'resources.yaml'), () => changed(), {
    debounceMs: 10,
    pollMs: 50,
    onError: (err) => errors.push(err),
  });
  try {
    watcher.start();
    assert.equal(errors.length, 1, 'fs.watch on a missing directory fails and is reported');
    await mkdir(dir);
    await writeFile(join(dir, 'resources.yaml'), 'x: 1\n');
    await change;
  } finally {
    watcher.close();
    await rm(root, { recursive: true, force: true });
  }
});
