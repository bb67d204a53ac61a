import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { CliError, EXIT } from '../cliError.js';
import type { CommandIo } from '../commandIo.js';
import { heraldView } from '../inspect/heraldView.js';
import { readClusterFacts } from '../inspect/clusterFacts.js';
import { INSPECT_FLAGS, readInspectOptions } from '../inspect/inspectOptions.js';
import { choosePaint } from '../inspect/paint.js';
import { statusReport } from '../inspect/statusReport.js';
import { statusText } from '../inspect/statusText.js';
import { ClusterConnection } from '../kube/clusterConnection.js';
import type { Command } from '../router.js';

const USAGE = `kubectl herald status: pools, speakers, addresses and what is wrong

Computed with herald's own decisions (validatePools, planService, electOwner, noOwnerReporter) over one
list of each resource; speaker liveness, readiness, draining and interfaces come from their Leases, and
so does each speaker's heartbeat health (which peers it hears, round trips, its last heartbeat), which the
speakers write there when it changes (once a change lasts 2s; at most 3 writes per 30s) and every 60s.

Flags:
${INSPECT_FLAGS}

Exit codes: 0 all well; 1 API unreachable, timed out or forbidden; 2 bad flags; 4 something is wrong
(an invalid pool, a speaker Dead or NotReady, a speaker whose heartbeats are broken or stale or that its
peers do not hear, an address without an owner, a Service without an address). A heartbeat health that
cannot be read (an older speaker) shows as Unknown and is not a problem.
`;

export const sha256 = (text: string): Uint8Array => createHash('sha256').update(text).digest();

export const statusCommand: Command = {
  name: 'status',
  summary: 'pools, speakers, addresses per node, and what is wrong (exit 4)',
  async run(args: string[], io: CommandIo): Promise<number> {
    const o = readInspectOptions(args, USAGE);
    if (o === 'help') {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (o.positionals.length) throw new CliError(`status takes no arguments, got "${o.positionals.join(' ')}"`, EXIT.usage);
    const conn = new ClusterConnection(o);
    const facts = await readClusterFacts(conn, o);
    const nowMs = Date.now();
    const report = statusReport(heraldView(facts, { lbClass: o.lbClass, nowMs, sha256 }), { nowMs });
    if (o.output === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (o.output === 'yaml') io.stdout.write(stringify(report));
    else io.stdout.write(statusText(report, choosePaint({ noColor: o.noColor, isTTY: !!(io.stdout as { isTTY?: boolean }).isTTY, env: io.env })));
    return report.problems.length ? EXIT.problems : EXIT.ok;
  },
};
