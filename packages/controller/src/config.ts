import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

export interface ControllerConfig {
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly lbClass: string | undefined;
  readonly logLevel: string;
  readonly metricsAddress: string;
  readonly healthAddress: string;
  readonly identity: string;
  readonly leaderElect: boolean;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly writeConcurrency: number;
  readonly serviceAccount: string;
  /** First retry delay of a failed write; doubles per failure up to writeBackoffMaxMs. */
  readonly writeBackoffInitialMs: number;
  /** Longest wait between retries of a failed write: a fixed cause (RBAC restored) is noticed within it. */
  readonly writeBackoffMaxMs: number;
}

const USAGE = `herald-controller: assigns addresses from IPAddressPools to LoadBalancer Services

  --kubeconfig PATH        kubeconfig to use (default: in-cluster, then $KUBECONFIG)
  --namespace NS           namespace of the leader Lease and events about herald itself (default: $POD_NAMESPACE or herald-system)
  --lb-class NAME          handle only Services with spec.loadBalancerClass NAME (default: only Services without a class)
  --log-level LEVEL        trace, debug, info, warn, error (default: info)
  --metrics-address ADDR   where /metrics listens (default: :7472)
  --health-address ADDR    where /healthz and /readyz listen (default: :7473)
  --identity NAME          leader-election identity (default: $POD_NAME or the hostname)
  --leader-elect BOOL      elect one active replica with a Lease (default: true)
  --lease-duration MS      how long a standby waits, after the Lease last changed, before taking over;
                           the leader stops writing after 2/3 of it without a renewal (default: 15000)
  --write-concurrency N    parallel API writes (default: 16)
  --write-backoff-initial MS  first retry delay of a failed API write; doubles per failure (default: 1000)
  --write-backoff-max MS   longest wait between retries of a failed write (default: 300000)
  --service-account NAME   this controller's ServiceAccount, owner of its Lease (default: herald-controller)
`;

const durationMs = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number of milliseconds, not "${text}"`);
  return n;
};

/** Reads flags and environment once, into a frozen config; the only place that does. */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): ControllerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'lb-class': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'metrics-address': { type: 'string', default: ':7472' },
      'health-address': { type: 'string', default: ':7473' },
      identity: { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'lease-duration': { type: 'string', default: '15000' },
      'write-concurrency': { type: 'string', default: '16' },
      'service-account': { type: 'string', default: 'herald-controller' },
      'write-backoff-initial': { type: 'string', default: '1000' },
      'write-backoff-max': { type: 'string', default: '300000' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(values['log-level'] as string)) {
    throw new Error(`--log-level must be one of trace, debug, info, warn, error; not "${values['log-level']}"`);
  }
  if (!['true', 'false'].includes(values['leader-elect'] as string)) throw new Error(`--leader-elect must be true or false`);
  const leaseDurationMs = durationMs('lease-duration', values['lease-duration'] as string);
  // Below a second the renew deadline (2/3) and the per-call timeout (1/3) leave no room for an API round trip.
  if (leaseDurationMs < 1_000) throw new Error(`--lease-duration must be at least 1000 ms, not ${leaseDurationMs}`);
  const writeConcurrency = Number(values['write-concurrency']);
  if (!Number.isInteger(writeConcurrency) || writeConcurrency < 1) throw new Error('--write-concurrency must be a positive integer');
  const writeBackoffInitialMs = durationMs('write-backoff-initial', values['write-backoff-initial'] as string);
  const writeBackoffMaxMs = durationMs('write-backoff-max', values['write-backoff-max'] as string);
  if (writeBackoffMaxMs < writeBackoffInitialMs) throw new Error(`--write-backoff-max (${writeBackoffMaxMs}) must not be below --write-backoff-initial (${writeBackoffInitialMs})`);
  return Object.freeze({
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    namespace: values.namespace ?? env.POD_NAMESPACE ?? 'herald-system',
    lbClass: values['lb-class'] || undefined,
    logLevel: values['log-level'] as string,
    metricsAddress: values['metrics-address'] as string,
    healthAddress: values['health-address'] as string,
    identity: values.identity ?? env.POD_NAME ?? hostname(),
    leaderElect: values['leader-elect'] === 'true',
    leaseDurationMs,
    renewDeadlineMs: Math.round(leaseDurationMs * (2 / 3)),
    retryPeriodMs: Math.max(200, Math.round(leaseDurationMs / 7.5)),
    writeConcurrency,
    serviceAccount: values['service-account'] as string,
    writeBackoffInitialMs,
    writeBackoffMaxMs,
  });
}
