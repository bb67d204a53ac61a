import { parseArgs } from 'node:util';
import { failsStrict, serviceMigration, translateMetallb, type MigrationFinding } from '@herald/core';
import { stringify } from 'yaml';
import { CliError, EXIT } from '../cliError.js';
import type { CommandIo } from '../commandIo.js';
import { ClusterConnection } from '../kube/clusterConnection.js';
import type { Command } from '../router.js';
import { durationMs } from '../durationMs.js';
import { cutoverSteps } from './cutoverSteps.js';
import { annotateServices, applyObjects, planObjects, readHeraldObjects, type PlannedObject } from './heraldTarget.js';
import type { MetalLBSource } from './metallbSource.js';
import { readMetallbCluster } from './readMetallbCluster.js';
import { readMetallbFiles } from './readMetallbFiles.js';
import { table } from '../table.js';

const USAGE = `kubectl herald migrate: translate MetalLB's layer-2 configuration into herald objects

Reads metallb.io IPAddressPools and L2Advertisements (and reports BGP objects), the legacy ConfigMap
"config", and every LoadBalancer Service, from the cluster or from files. Dry run by default: prints what
it would write, a diff against herald objects already there, what cannot be migrated and why, and the
cut-over steps that keep every Service's address.

Flags:
  -f, --filename PATH        read MetalLB objects from a YAML/JSON file (repeatable; - for stdin) instead of the cluster
  --metallb-namespace NS     MetalLB's namespace (default: metallb-system)
  --apply                    write herald's IPAddressPools and L2Advertisements (server-side apply, field manager kubectl-herald)
  --overwrite                with --apply, replace herald objects that exist with another spec (default: leave them, report "differs")
  --annotate                 with --apply, also add herald.dev/* annotations to Services that use MetalLB's keys (MetalLB's stay)
  --strict                   exit 3 when anything is skipped, dropped or would lose its address
  -o, --output FORMAT        json or yaml (default: text for people)
  --kubeconfig PATH          kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME             kubeconfig context
  --request-timeout DUR      per API call, e.g. 10s, 500ms (default: 10s)
  --no-color                 accepted for symmetry; migrate prints no colour

Exit codes: 0 done; 1 API unreachable, forbidden or write failed; 2 bad flags; 3 --strict and something was not migrated.
`;

interface MigrateOptions {
  readonly files: string[];
  readonly namespace: string;
  readonly apply: boolean;
  readonly annotate: boolean;
  readonly overwrite: boolean;
  readonly strict: boolean;
  readonly output: 'text' | 'json' | 'yaml';
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly requestTimeoutMs: number;
}

function readOptions(args: string[]): MigrateOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        'metallb-namespace': { type: 'string', default: 'metallb-system' },
        apply: { type: 'boolean', default: false },
        annotate: { type: 'boolean', default: false },
        overwrite: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        output: { type: 'string', short: 'o', default: 'text' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'request-timeout': { type: 'string', default: '10s' },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${USAGE}`, EXIT.usage);
  }
  if (values.help) return 'help';
  if (!['text', 'json', 'yaml'].includes(values.output as string)) throw new CliError(`--output must be json or yaml, not "${values.output}"`, EXIT.usage);
  if (values.annotate && !values.apply) throw new CliError('--annotate writes Service annotations and needs --apply (a dry run lists them anyway)', EXIT.usage);
  return {
    files: values.filename ?? [],
    namespace: values['metallb-namespace'] as string,
    apply: values.apply as boolean,
    annotate: values.annotate as boolean,
    overwrite: values.overwrite as boolean,
    strict: values.strict as boolean,
    output: values.output as MigrateOptions['output'],
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values.context ? { context: values.context } : {}),
    requestTimeoutMs: durationMs('--request-timeout', values['request-timeout'] as string),
  };
}

/** The whole result, as `-o json|yaml` prints it; the text output shows the same fields. */
export interface MigrateReport {
  source: string;
  dryRun: boolean;
  heraldCrdsInstalled: boolean | 'unknown';
  objects: { kind: string; name: string; action: string; diff?: string[] }[];
  findings: MigrationFinding[];
  annotations: { service: string; metallbKey: string; heraldKey: string; value: string; heraldKeyPresent: boolean }[];
  annotated: string[];
  services: { loadBalancer: number; withAddress: number; atRisk: number };
  manifest: object[];
  cutover: string[];
  strictFailed: boolean;
}

async function migrate(o: MigrateOptions, io: CommandIo): Promise<number> {
  const needsCluster = o.files.length === 0 || o.apply;
  const conn = needsCluster ? new ClusterConnection({ ...o }) : undefined;
  const source: MetalLBSource = o.files.length ? await readMetallbFiles(o.files, io.readStdin) : await readMetallbCluster(conn!, o.namespace);
  const plan = translateMetallb({ objects: source.objects, ...(source.legacy ? { legacy: source.legacy } : {}) });
  const services = serviceMigration(source.services, plan.pools);
  const findings = [...plan.findings, ...services.findings];
  const existing = conn ? await readHeraldObjects(conn) : undefined;
  if (o.apply && !existing) throw new CliError(`herald's CRDs are not installed on ${conn!.server}: kubectl apply --server-side -f charts/herald/crds/ (the pools must exist before herald's controller starts)`);
  const planned: PlannedObject[] = planObjects([...plan.pools, ...plan.l2Advertisements], existing);
  if (o.apply) await applyObjects(conn!, planned, { overwrite: o.overwrite });
  if (o.annotate) await annotateServices(conn!, services.annotationPatches);
  const atRisk = findings.filter((f) => f.action === 'atRisk').length;
  const report: MigrateReport = {
    source: source.description,
    dryRun: !o.apply,
    heraldCrdsInstalled: conn ? existing !== undefined : 'unknown',
    objects: planned.map((p) => ({ kind: p.kind, name: p.name, action: objectAction(p.action, o), ...(p.diff ? { diff: p.diff } : {}) })),
    findings,
    annotations: services.annotations,
    annotated: o.annotate ? services.annotationPatches.map((p) => `${p.namespace}/${p.name}`) : [],
    services: { loadBalancer: source.services.length, withAddress: source.services.filter((s) => s.addresses.length > 0).length, atRisk },
    manifest: planned.map((p) => p.object),
    cutover: cutoverSteps({ applied: o.apply, namespace: o.namespace, annotationUses: services.annotations.length, atRisk }),
    strictFailed: o.strict && (findings.some(failsStrict) || planned.some((p) => p.action === 'update' && !o.overwrite)),
  };
  if (o.output === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (o.output === 'yaml') io.stdout.write(stringify(report));
  else io.stdout.write(renderText(report));
  return report.strictFailed ? EXIT.incomplete : EXIT.ok;
}

/** create/created, unchanged, replace/replaced (--overwrite), or differs: exists with another spec, not written. */
function objectAction(action: PlannedObject['action'], o: MigrateOptions): string {
  if (action === 'update') return o.overwrite ? (o.apply ? 'replaced' : 'replace') : 'differs';
  return action === 'create' && o.apply ? 'created' : action;
}

export function renderText(r: MigrateReport): string {
  const out: string[] = [`Read MetalLB configuration from ${r.source}.`, ''];
  out.push(r.dryRun ? 'herald objects (dry run: nothing written; run again with --apply to write them):' : 'herald objects (written with server-side apply, field manager kubectl-herald):');
  if (r.objects.length === 0) out.push('  (none: no layer-2 MetalLB pool was found)');
  else out.push(...table(['ACTION', 'KIND', 'NAME'], r.objects.map((x) => [x.action, x.kind, x.name])).map((l) => `  ${l}`));
  for (const x of r.objects.filter((x) => x.diff)) out.push('', `  ${x.kind} ${x.name} differs from the one in the cluster (- now, + migrated):`, ...x.diff!.map((l) => `    ${l}`));
  if (r.objects.some((x) => x.action === 'differs')) out.push('', '  differs: a herald object of that name exists with another spec and was not written. Read the diff; --apply --overwrite replaces its labels and spec.');
  if (r.heraldCrdsInstalled === false) out.push('', "  herald's CRDs are not installed yet: kubectl apply --server-side -f charts/herald/crds/");
  out.push('');
  if (r.findings.length === 0) out.push('Everything was migrated as it was.');
  else {
    out.push(`Not migrated as it was (${r.findings.length}):`);
    out.push(...table(['ACTION', 'REASON', 'OBJECT', 'DETAIL'], r.findings.map((f) => [f.action, f.reason, f.object, f.detail])).map((l) => `  ${l}`));
  }
  out.push('', `Services: ${r.services.loadBalancer} of type LoadBalancer, ${r.services.withAddress} with an address, ${r.services.atRisk === 0 ? 'every address is inside a migrated pool' : `${r.services.atRisk} at risk (above)`}.`);
  if (r.annotations.length) {
    out.push('', 'Services using MetalLB annotations (herald honours them; --apply --annotate adds the herald.dev keys):');
    out.push(...table(['SERVICE', 'METALLB KEY', 'HERALD KEY', 'VALUE'], r.annotations.map((a) => [a.service, a.metallbKey, a.heraldKeyPresent ? `${a.heraldKey} (set)` : a.heraldKey, a.value])).map((l) => `  ${l}`));
  }
  if (r.annotated.length) out.push('', `Annotated: ${r.annotated.join(', ')}`);
  if (r.dryRun && r.manifest.length) out.push('', 'YAML that --apply writes:', ...r.manifest.map((m) => `---\n${stringify(m).trimEnd()}`));
  out.push('', "Cut-over that keeps every Service's address (docs/migrating-from-metallb.md):", ...r.cutover.map((s, i) => `  ${i + 1}. ${s}`));
  if (r.strictFailed) out.push('', '--strict: some configuration was not migrated as it was (exit code 3).');
  return `${out.join('\n')}\n`;
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: "translate MetalLB's layer-2 configuration into herald objects (dry run unless --apply)",
  run: async (args, io) => {
    const o = readOptions(args);
    if (o === 'help') {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    return migrate(o, io);
  },
};
