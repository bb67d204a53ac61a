import { stringify } from 'yaml';
import { CliError, EXIT } from '../cliError.js';
import type { CommandIo } from '../commandIo.js';
import { readClusterFacts, readEvents } from '../inspect/clusterFacts.js';
import { explainReport } from '../inspect/explainReport.js';
import { explainText } from '../inspect/explainText.js';
import { heraldView } from '../inspect/heraldView.js';
import { INSPECT_FLAGS, readInspectOptions } from '../inspect/inspectOptions.js';
import { choosePaint } from '../inspect/paint.js';
import { ClusterConnection } from '../kube/clusterConnection.js';
import type { Command } from '../router.js';
import { sha256 } from '../status/statusCommand.js';

const USAGE = `kubectl herald explain svc/NAME [-n NAMESPACE]: why a Service has (or lacks) its address and who answers

Shows the AddressAssigned condition and planService's view now, the pool and why, the Services sharing the
address (this namespace only), the node that answers and why (the election ranking, and each other node's
reason), and the last transitions (conditions, LBAddress status, Events). Same reason words as herald's
conditions, events and metrics.

Flags:
  -n, --namespace NS         the Service's namespace (default: default)
${INSPECT_FLAGS}

Exit codes: 0 explained; 1 API unreachable, timed out or forbidden, or no such Service; 2 bad flags.
`;

/** "svc/NAME", "service/NAME", "services/NAME" or a bare NAME. */
export function serviceName(arg: string | undefined): string {
  if (!arg) throw new CliError(`explain needs a Service: kubectl herald explain svc/NAME [-n NAMESPACE]\n\n${USAGE}`, EXIT.usage);
  const m = /^(?:(svc|service|services)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(arg);
  if (!m) throw new CliError(`"${arg}" is not svc/NAME (only Services can be explained)`, EXIT.usage);
  return m[2] as string;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'why svc/NAME has or lacks an address, which pool, which node answers and why',
  async run(args: string[], io: CommandIo): Promise<number> {
    const o = readInspectOptions(args, USAGE);
    if (o === 'help') {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (o.positionals.length > 1) throw new CliError(`explain takes one Service, got "${o.positionals.join(' ')}"`, EXIT.usage);
    const name = serviceName(o.positionals[0]);
    const key = `${o.namespace}/${name}`;
    const conn = new ClusterConnection(o);
    const [facts, events] = await Promise.all([readClusterFacts(conn, o), readEvents(conn, { namespace: o.namespace, kind: 'Service', name })]);
    const svc = facts.services.find((s) => s.metadata?.namespace === o.namespace && s.metadata?.name === name);
    if (!svc) throw new CliError(`service "${name}" not found in namespace ${o.namespace}`);
    const view = heraldView(facts, { lbClass: o.lbClass, nowMs: Date.now(), sha256 });
    const report = explainReport(view, svc as Parameters<typeof explainReport>[1], key, {
      lbClass: o.lbClass,
      sha256,
      events: events.map((e) => ({
        time: new Date((e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? 0) as string | Date).toISOString(),
        type: e.type ?? '',
        reason: e.reason ?? '',
        message: e.message ?? '',
      })),
    });
    if (o.output === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (o.output === 'yaml') io.stdout.write(stringify(report));
    else io.stdout.write(explainText(report, choosePaint({ noColor: o.noColor, isTTY: !!(io.stdout as { isTTY?: boolean }).isTTY, env: io.env })));
    return EXIT.ok;
  },
};
