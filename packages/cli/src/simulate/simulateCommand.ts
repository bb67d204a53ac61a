import { stringify } from 'yaml';
import { CliError, EXIT } from '../cliError.js';
import type { CommandIo } from '../commandIo.js';
import { readClusterFacts } from '../inspect/clusterFacts.js';
import { heraldView } from '../inspect/heraldView.js';
import { INSPECT_FLAGS, readInspectOptions } from '../inspect/inspectOptions.js';
import { simulate, type NodeChange } from '../inspect/nodeChange.js';
import { choosePaint } from '../inspect/paint.js';
import { simulationText } from '../inspect/simulationText.js';
import { ClusterConnection } from '../kube/clusterConnection.js';
import type { Command } from '../router.js';
import { sha256 } from '../status/statusCommand.js';

const usage = (kind: 'drain' | 'add') => `kubectl herald simulate-${kind} NODE${kind === 'add' ? ' [--like OTHER]' : ''}: which addresses would move where, changing nothing

Runs the speakers' election (electOwner) over the live facts with ${kind === 'drain' ? "NODE's speaker gone (as after a drain)" : 'a ready speaker on NODE'}
and lists every address whose owner changes.${kind === 'add' ? ' A node without a speaker Lease has published no interfaces: --like OTHER\nassumes the interfaces (and, for a node with no Node object, the labels) of OTHER.' : ''}

Flags:
${kind === 'add' ? '  --like NODE                copy interfaces (and labels, for a node not yet in the cluster) from NODE\n' : ''}${INSPECT_FLAGS}

Exit codes: 0 computed; 1 API unreachable, timed out or forbidden, or NODE unknown; 2 bad flags.
`;

function simulateCommand(kind: 'drain' | 'add'): Command {
  return {
    name: `simulate-${kind}`,
    summary: kind === 'drain' ? 'which addresses would move where if NODE were drained' : "which addresses would move to NODE if it joined with a speaker",
    async run(args: string[], io: CommandIo): Promise<number> {
      const o = readInspectOptions(args, usage(kind), { like: kind === 'add' });
      if (o === 'help') {
        io.stdout.write(usage(kind));
        return EXIT.ok;
      }
      if (o.positionals.length !== 1) throw new CliError(`simulate-${kind} takes one NODE\n\n${usage(kind)}`, EXIT.usage);
      const node = o.positionals[0]!.replace(/^nodes?\//, '');
      const conn = new ClusterConnection(o);
      const facts = await readClusterFacts(conn, o);
      const nowMs = Date.now();
      const view = heraldView(facts, { lbClass: o.lbClass, nowMs, sha256 });
      const change: NodeChange = kind === 'drain' ? { kind, node } : { kind, node, ...(o.like ? { like: o.like } : {}) };
      let report;
      try {
        report = simulate(facts, view, change, { lbClass: o.lbClass, nowMs, sha256 });
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      if (o.output === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (o.output === 'yaml') io.stdout.write(stringify(report));
      else io.stdout.write(simulationText(report, choosePaint({ noColor: o.noColor, isTTY: !!(io.stdout as { isTTY?: boolean }).isTTY, env: io.env })));
      return EXIT.ok;
    },
  };
}

export const simulateDrainCommand = simulateCommand('drain');
export const simulateAddCommand = simulateCommand('add');
