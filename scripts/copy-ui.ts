/**
 * Build step: copies the live page's static files (src/operator/live-page/ui) next to the compiled code under a
 * build root, where static-files.ts reads them. Run: node scripts/copy-ui.ts <build root> (npm run build does).
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = 'src/operator/live-page/ui';
const root = process.argv[2];
if (!root) throw new Error('usage: node scripts/copy-ui.ts <build root>');
cpSync(fileURLToPath(new URL(`../${UI}`, import.meta.url)), join(root, UI), { recursive: true });
