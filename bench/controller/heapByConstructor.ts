// Investigation aid: where a heap snapshot's bytes are, by constructor (objects) or node type (strings,
// arrays, code, ...), largest first. Self sizes only: what each object holds itself, not what it retains.
// Run: node --import tsx bench/controller/heapByConstructor.ts <file.heapsnapshot> [--top 40]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { round } from './stats.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: heapByConstructor.ts <file.heapsnapshot> [--top N]\n');
  process.exit(2);
}
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += fields.length) {
  const type = types[snap.nodes[i + typeAt] as number] as string;
  // Objects are named by their constructor; a string's "name" is its contents, so strings group by type.
  const key = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${snap.strings[snap.nodes[i + nameAt] as number]}` : type;
  const size = snap.nodes[i + sizeAt] as number;
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += size;
  groups.set(key, g);
  total += size;
}
const top = [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top));
process.stdout.write(`${JSON.stringify({ file, totalMiB: round(total / 1048576), top: top.map(([k, g]) => ({ what: k, count: g.count, MiB: round(g.bytes / 1048576) })) }, null, 1)}\n`);
