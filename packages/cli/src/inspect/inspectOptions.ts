import { parseArgs } from 'node:util';
import { CliError, EXIT } from '../cliError.js';
import { durationMs } from '../durationMs.js';

/** Flags status, explain and simulate-* share. */
export interface InspectOptions {
  readonly releaseNamespace: string;
  readonly lbClass: string | undefined;
  readonly namespace: string;
  readonly output: 'text' | 'json' | 'yaml';
  readonly noColor: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly requestTimeoutMs: number;
  readonly positionals: string[];
  /** simulate-add only: the node whose interfaces (and labels) a new node is assumed to have. */
  readonly like?: string;
}

export const INSPECT_FLAGS = `  --release-namespace NS     where herald runs: its speaker Leases (default: herald-system)
  --lb-class CLASS           the loadBalancerClass herald was started with (default: none, Services without a class)
  -o, --output FORMAT        json or yaml (default: tables for people)
  --no-color                 no colour (also when NO_COLOR is set or output is not a terminal)
  --kubeconfig PATH          kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME             kubeconfig context
  --request-timeout DUR      per API call, e.g. 10s, 500ms (default: 10s)`;

export function readInspectOptions(args: string[], usage: string, o: { like?: boolean } = {}): InspectOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'release-namespace': { type: 'string', default: 'herald-system' },
        'lb-class': { type: 'string' },
        namespace: { type: 'string', short: 'n', default: 'default' },
        output: { type: 'string', short: 'o', default: 'text' },
        'no-color': { type: 'boolean', default: false },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'request-timeout': { type: 'string', default: '10s' },
        help: { type: 'boolean', short: 'h', default: false },
        ...(o.like ? { like: { type: 'string' as const } } : {}),
      },
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${usage}`, EXIT.usage);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (!['text', 'json', 'yaml'].includes(v.output as string)) throw new CliError(`--output must be json or yaml, not "${v.output}"`, EXIT.usage);
  return {
    releaseNamespace: v['release-namespace'] as string,
    lbClass: (v['lb-class'] as string | undefined) || undefined,
    namespace: v.namespace as string,
    output: v.output as InspectOptions['output'],
    noColor: v['no-color'] as boolean,
    ...(v.kubeconfig ? { kubeconfig: v.kubeconfig } : {}),
    ...(v.context ? { context: v.context } : {}),
    requestTimeoutMs: durationMs('--request-timeout', v['request-timeout'] as string),
    positionals: parsed.positionals,
    ...(typeof (v as { like?: unknown }).like === 'string' ? { like: (v as { like: string }).like } : {}),
  };
}
