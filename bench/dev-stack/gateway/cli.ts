/**
 * `epp-gateway`: the local gateway (Envoy stand-in).
 *
 *   node bench/dev-stack/gateway/cli.ts --port 8081 --extproc 127.0.0.1:9002 [--failure-mode-allow] [--endpoints 127.0.0.2:8000,...]
 *   node bench/dev-stack/gateway/cli.ts --port 8081 --policy round-robin --endpoints 127.0.0.2:8000,127.0.0.3:8000
 */
import { parseArgs } from 'node:util';
import type { BaselineName } from './baselines.ts';
import { Gateway, type GatewayPolicy } from './gateway.ts';

const BASELINES = ['round-robin', 'least-request', 'random'];

export function parseGatewayArgs(argv: string[]): { host: string; port: number; policy: GatewayPolicy; endpoints: string[] } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8081' },
      policy: { type: 'string', default: 'extproc' },
      extproc: { type: 'string', default: '127.0.0.1:9002' },
      endpoints: { type: 'string', default: '' },
      'failure-mode-allow': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const endpoints = values.endpoints.split(',').filter(Boolean);
  let policy: GatewayPolicy;
  if (values.policy === 'extproc') policy = { kind: 'extproc', target: values.extproc, failureModeAllow: values['failure-mode-allow'] };
  else if (BASELINES.includes(values.policy)) {
    if (endpoints.length === 0) throw new Error(`--policy ${values.policy} needs --endpoints`);
    policy = { kind: 'baseline', name: values.policy as BaselineName };
  } else throw new Error(`--policy must be extproc or one of ${BASELINES.join(', ')}`);
  return { host: values.host, port: Number(values.port), policy, endpoints };
}

/** Runs the CLI (also callable from a bin shim). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o = parseGatewayArgs(argv);
  const gw = new Gateway({ policy: o.policy, endpoints: o.endpoints });
  const addr = await gw.listen(o.port, o.host);
  const via = o.policy.kind === 'extproc' ? `ext_proc ${o.policy.target}` : o.policy.kind === 'baseline' ? o.policy.name : 'router';
  console.log(`epp-gateway listening on http://${o.host}:${addr.port} (${via})`);
  const stop = (): void => {
    void gw.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(`epp-gateway: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
