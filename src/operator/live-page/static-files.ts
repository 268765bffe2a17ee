/**
 * The live page's files, read once at startup: the page itself (ui/) and uPlot's browser build straight
 * from its npm package (no bundling step, nothing fetched at run time).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ui');

/** URL path -> file. */
export function liveFiles(): Map<string, StaticFile> {
  const uplotDist = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  const files = new Map<string, StaticFile>();
  const add = (path: string, file: string, type: string) => files.set(path, { type, body: readFileSync(file) });
  add('/', join(UI_DIR, 'index.html'), 'text/html; charset=utf-8');
  add('/ui/app.js', join(UI_DIR, 'app.js'), 'text/javascript; charset=utf-8');
  add('/ui/style.css', join(UI_DIR, 'style.css'), 'text/css; charset=utf-8');
  add('/ui/uPlot.iife.min.js', join(uplotDist, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8');
  add('/ui/uPlot.min.css', join(uplotDist, 'uPlot.min.css'), 'text/css; charset=utf-8');
  files.set('/ui', files.get('/')!);
  files.set('/ui/', files.get('/')!);
  return files;
}
