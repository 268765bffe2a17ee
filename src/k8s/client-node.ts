/**
 * The parts of @kubernetes/client-node the picker uses; every other module imports them from here.
 *
 * The library's index (and its KubeConfig, through the generated client's configuration) loads every generated
 * API class and model, ~1,000 modules, for these four names. `npm run build` replaces this file's output with
 * a tree-shaken bundle of just them (scripts/bundle-client-node.ts; the library's own dependencies stay
 * imports), which is what the image runs: 22-25 MB less RSS at 1,000 endpoints (bench/overhead/README.md, Memory).
 * In development and tests this file re-exports the library as it is.
 */
export { KubeConfig, RequestContext, V1MicroTime, Watch } from '@kubernetes/client-node';
