/**
 * Where the picker finds its cluster credentials: an explicit file, else the library's usual order
 * (KUBECONFIG, ~/.kube/config, the in-cluster service account).
 */
import { KubeConfig } from './client-node.ts';

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/** `--pool-namespace` default: env NAMESPACE (set from the downward API in the chart), then "default". */
export function defaultPoolNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.NAMESPACE || 'default';
}
