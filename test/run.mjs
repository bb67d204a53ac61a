#!/usr/bin/env node
// The project's test command (npm test): every vitest project, then one closing line "N passed, N failed".
// Integration tests need root (network namespaces) and build the control plane on first use.
//
// Two phases, each its own vitest process (and so its own control plane, stopped before the next starts):
//   1. unit + integration (the real-kubelet suite test/nodes is part of integration);
//   2. scale (test/scale): thousands of addresses on real speakers, alone on a quiet host. A speaker's garbage
//      collector starved by the integration suite's processes pauses long enough to read as a death, which is
//      what the suite must not see; so it runs after phase 1 has finished and torn everything down.
// The closing line sums both phases. A phase that failed does not stop the other (CI wants every result).
// With arguments (`node test/run.mjs --project integration test/x.test.ts`) it is one vitest run of exactly
// those, as before.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache');
mkdirSync(cache, { recursive: true });

if (process.platform !== 'linux') console.error('herald tests need Linux (network namespaces, AF_PACKET)');
else if (process.getuid?.() !== 0) console.error('integration tests need root: they create network namespaces (run with sudo)');

const given = process.argv.slice(2);
const phases = given.length > 0
  ? [{ name: 'tests', report: 'test-results.json', args: given }]
  : [
      { name: 'unit and integration', report: 'test-results.json', args: ['--project', 'unit', '--project', 'integration'] },
      { name: 'scale (alone)', report: 'test-results-scale.json', args: ['--project', 'scale'] },
    ];

/** Counts of one vitest run from its JSON report (none written: the run itself failed). */
function counts(out, status) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed = report.numPassedTests ?? 0;
    skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A file that failed to load (or whose hooks failed) has no failed test of its own: count it once.
    const brokenFiles = (report.testResults ?? []).filter(
      (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
    ).length;
    failed = (report.numFailedTests ?? 0) + brokenFiles;
  }
  if (status !== 0 && failed === 0) failed = 1;
  return { passed, failed, skipped };
}

const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let status = 0;
for (const [i, phase] of phases.entries()) {
  const out = join(cache, phase.report);
  rmSync(out, { force: true });
  if (phases.length > 1) console.log(`\n=== test phase ${i + 1}/${phases.length}: ${phase.name}`);
  const t0 = Date.now();
  const args = [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...phase.args];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const c = counts(out, r.status ?? 1);
  for (const k of Object.keys(total)) total[k] += c[k];
  if (r.status !== 0) status = r.status ?? 1;
  lines.push(`${phase.name}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''} in ${Math.round((Date.now() - t0) / 1000)} s`);
}

const summary = `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`;
writeFileSync(join(cache, 'test-summary.json'), JSON.stringify(total));
if (phases.length > 1) console.log(`\n${lines.join('\n')}`);
console.log(`\n${summary}`);
process.exit(status);
