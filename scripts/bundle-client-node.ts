/**
 * Build step: replaces the compiled src/k8s/client-node.js under a build root (dist/, or the memory
 * benchmark's .bench-build/) with an esbuild bundle of src/k8s/client-node.ts in which only
 * @kubernetes/client-node is bundled and tree-shaken. Its own dependencies stay imports (the bundle loads them
 * from node_modules like any module): bundled, their CommonJS `require`s of Node built-ins fail in an ES module.
 * Every one of those imports is checked to resolve from where the bundle lands, so a dependency npm did not
 * hoist fails the build here rather than at the first start in a cluster.
 *
 * Run: node scripts/bundle-client-node.ts <build root>   (npm run build does, after tsc)
 */
import { createRequire, isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const LIBRARY = '@kubernetes/client-node';

export interface BundleResult {
  /** The file written. */
  file: string;
  /** Modules of the library in the bundle (of the ~1,000 its index loads). */
  libraryModules: number;
  /** Packages the bundle imports at run time. */
  externals: string[];
  bytes: number;
}

/** Bundles src/k8s/client-node.ts into `<buildRoot>/src/k8s/client-node.js`. */
export async function bundleClientNode(buildRoot: string): Promise<BundleResult> {
  const file = join(resolve(buildRoot), 'src', 'k8s', 'client-node.js');
  const externals = new Set<string>();
  const result = await build({
    entryPoints: [join(REPO_ROOT, 'src', 'k8s', 'client-node.ts')],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    metafile: true,
    logLevel: 'warning',
    sourcemap: true,
    plugins: [
      {
        name: 'only-the-library',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path === LIBRARY || args.path.startsWith(`${LIBRARY}/`)) return undefined;
            if (!isBuiltin(args.path)) externals.add(packageName(args.path));
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const require = createRequire(file);
  for (const name of externals) {
    try {
      require.resolve(`${name}/package.json`);
    } catch {
      try {
        require.resolve(name);
      } catch {
        throw new Error(`${file} imports ${name}, which does not resolve from there (not hoisted to node_modules?)`);
      }
    }
  }
  const inputs = Object.keys(result.metafile.inputs);
  const bytes = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('.js'))?.[1].bytes ?? 0;
  return { file, libraryModules: inputs.filter((p) => p.includes(`node_modules/${LIBRARY}/`)).length, externals: [...externals].sort(), bytes };
}

/** `a/b` -> `a`, `@s/a/b` -> `@s/a`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2];
  if (!root) throw new Error('usage: node scripts/bundle-client-node.ts <build root>');
  const r = await bundleClientNode(root);
  console.log(`${r.file}: ${r.libraryModules} modules of ${LIBRARY}, ${Math.round(r.bytes / 1024)} KB; imports ${r.externals.join(', ')}`);
}
