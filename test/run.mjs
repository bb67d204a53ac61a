#!/usr/bin/env node
// The project's test command (npm test): every vitest project, then one closing line "N passed, N failed".
// Integration tests need root (network namespaces) and build the control plane on first use.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.cache', 'test-results.json');
mkdirSync(dirname(out), { recursive: true });
rmSync(out, { force: true });

if (process.platform !== 'linux') console.error('herald tests need Linux (network namespaces, AF_PACKET)');
else if (process.getuid?.() !== 0) console.error('integration tests need root: they create network namespaces (run with sudo)');

const args = [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

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
if (r.status !== 0 && failed === 0) failed = 1;
const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
writeFileSync(join(root, '.cache', 'test-summary.json'), JSON.stringify({ passed, failed, skipped }));
console.log(`\n${summary}`);
process.exit(r.status ?? 1);
