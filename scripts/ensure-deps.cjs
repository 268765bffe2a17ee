// Runs before `npm start` / `npm test` (possibly on the machine's older Node): installs dependencies on a
// fresh clone, so the README's two commands need nothing else. The `node` package then supplies Node 24.
const { existsSync, lstatSync, statSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const modules = join(root, 'node_modules');
// A symlinked node_modules belongs to another checkout (a git worktree sharing one install): `npm ci` through
// the link would wipe that checkout's install and, via its workspace link, its bench/sim sources.
const linked = existsSync(modules) && lstatSync(modules).isSymbolicLink();
const stale = !linked && (!existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000));
if (stale) {
  console.error('epp: installing dependencies (npm ci) ...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
