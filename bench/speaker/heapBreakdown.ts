// Where a herald-speaker's heap goes, from a V8 heap snapshot (bench/speaker/addressMemory.ts takes one at
// 2,000 addresses): the dominator tree (Cooper, Harvey and Kennedy's iterative algorithm over the snapshot's
// graph, weak edges left out, as DevTools does), then the retained size of every field of the speaker's own
// objects (the Reflector caches by resource, ElectionFacts' maps, the election, the announcer, metrics),
// and the largest constructors by self size. Prints JSON.
// Run: node --import tsx bench/speaker/heapBreakdown.ts <file.heapsnapshot> [min KiB per field, default 64]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: heapBreakdown.ts <file.heapsnapshot> [minKiB]');
const minBytes = Number(process.argv[3] ?? 64) * 1024;
const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const meta = s.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf('type');
const nName = meta.node_fields.indexOf('name');
const nSize = meta.node_fields.indexOf('self_size');
const nEdges = meta.node_fields.indexOf('edge_count');
const eType = meta.edge_fields.indexOf('type');
const eName = meta.edge_fields.indexOf('name_or_index');
const eTo = meta.edge_fields.indexOf('to_node');
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf('weak');
const SHORTCUT = edgeTypes.indexOf('shortcut');
const ELEMENT = edgeTypes.indexOf('element');
const HIDDEN = edgeTypes.indexOf('hidden');
const N = s.nodes.length / NF;

const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) {
  firstEdge[i] = e;
  e += s.nodes[i * NF + nEdges]! * EF;
  firstEdge[i + 1] = e;
}
const typeOf = (i: number) => nodeTypes[s.nodes[i * NF + nType]!]!;
const nameOf = (i: number) => s.strings[s.nodes[i * NF + nName]!]!;
const selfSize = (i: number) => s.nodes[i * NF + nSize]!;
const followed = (e: number) => s.edges[e + eType] !== WEAK && s.edges[e + eType] !== SHORTCUT;

// Depth-first post-order from the root (node 0).
const post = new Int32Array(N).fill(-1);
const order: number[] = [];
{
  const stack: number[] = [0];
  const next = new Uint32Array(N);
  const seen = new Uint8Array(N);
  seen[0] = 1;
  for (let i = 0; i < N; i++) next[i] = firstEdge[i]!;
  while (stack.length > 0) {
    const v = stack.at(-1)!;
    let pushed = false;
    while (next[v]! < firstEdge[v + 1]!) {
      const e = next[v]!;
      next[v] = e + EF;
      if (!followed(e)) continue;
      const w = s.edges[e + eTo]! / NF;
      if (seen[w]) continue;
      seen[w] = 1;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      stack.pop();
      post[v] = order.length;
      order.push(v);
    }
  }
}
// Predecessors (reachable ones only), as CSR.
const predCount = new Uint32Array(N + 1);
for (let v = 0; v < N; v++) {
  if (post[v] === -1) continue;
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) if (followed(e)) predCount[s.edges[e + eTo]! / NF]!++;
}
const predStart = new Uint32Array(N + 1);
for (let v = 0; v < N; v++) predStart[v + 1] = predStart[v]! + predCount[v]!;
const preds = new Uint32Array(predStart[N]!);
const fill = predStart.slice();
for (let v = 0; v < N; v++) {
  if (post[v] === -1) continue;
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) if (followed(e)) preds[fill[s.edges[e + eTo]! / NF]!++] = v;
}
// Immediate dominators by post-order number.
const R = order.length;
const idom = new Int32Array(R).fill(-1);
idom[R - 1] = R - 1;
for (let changed = true; changed;) {
  changed = false;
  for (let p = R - 2; p >= 0; p--) {
    const v = order[p]!;
    let d = -1;
    for (let k = predStart[v]!; k < predStart[v + 1]!; k++) {
      let q = post[preds[k]!]!;
      if (q === -1 || idom[q] === -1) continue;
      if (d === -1) {
        d = q;
        continue;
      }
      let a = q;
      let b = d;
      while (a !== b) {
        while (a < b) a = idom[a]!;
        while (b < a) b = idom[b]!;
      }
      d = a;
      q = a;
    }
    if (d !== -1 && idom[p] !== d) {
      idom[p] = d;
      changed = true;
    }
  }
}
const retained = new Float64Array(R);
for (let p = 0; p < R; p++) retained[p] = selfSize(order[p]!);
for (let p = 0; p < R - 1; p++) {
  const d = idom[p]!;
  if (d >= 0) retained[d] = retained[d]! + retained[p]!;
}
const retainedOf = (v: number) => (post[v] === -1 ? 0 : retained[post[v]!]!);
const dominatedBy = (v: number, by: number) => post[v] !== -1 && idom[post[v]!] === post[by];
const kib = (n: number) => Math.round(n / 102.4) / 10;

/** Named edges out of a node: [name, target]. */
function fields(v: number): [string, number][] {
  const out: [string, number][] = [];
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) {
    const t = s.edges[e + eType]!;
    if (t === WEAK || t === SHORTCUT || t === HIDDEN) continue;
    const name = t === ELEMENT ? `[${s.edges[e + eName]}]` : String(s.strings[s.edges[e + eName]!]);
    out.push([name, s.edges[e + eTo]! / NF]);
  }
  return out;
}
const field = (v: number, name: string) => fields(v).find(([n]) => n === name)?.[1];

/** A node and the fields it dominates, down `depth` levels, fields of at least minBytes. */
function tree(v: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { class: nameOf(v), retainedKiB: kib(retainedOf(v)) };
  if (depth === 0) return out;
  const kids: Record<string, unknown> = {};
  for (const [name, w] of fields(v)) {
    if (!dominatedBy(w, v) || retainedOf(w) < minBytes) continue;
    kids[name] = tree(w, depth - 1);
  }
  if (Object.keys(kids).length > 0) out.fields = kids;
  return out;
}

const INTERESTING = new Set([
  'Reflector', 'ElectionFacts', 'IncrementalElection', 'RankCache', 'ElectionScheduler', 'ElectionApplier', 'StatusReporter', 'ConflictMonitor', 'SpeakerController',
  'Announcer', 'InterfaceResponder', 'MldReporter', 'Membership', 'SwimMembership', 'LinkWatcher', 'LBAddressWriter', 'HeartbeatHealthWriter', 'Registry', 'Pino',
]);
const objects: Record<string, unknown>[] = [];
for (let v = 0; v < N; v++) {
  if (post[v] === -1 || typeOf(v) !== 'object' || !INTERESTING.has(nameOf(v))) continue;
  const t = tree(v, nameOf(v) === 'Reflector' ? 2 : 3);
  if (nameOf(v) === 'Reflector') {
    const o = field(v, 'o');
    const r = o === undefined ? undefined : field(o, 'resource');
    if (r !== undefined) t.resource = nameOf(r);
    // Cached objects are also referred to from indexes and the election, so the dominator tree credits
    // each to the root rather than to the store: sum what each entry itself retains.
    const store = field(v, 'store');
    const table = store === undefined ? undefined : field(store, 'table');
    if (table !== undefined) {
      let sum = 0;
      let entries = 0;
      for (const [, w] of fields(table)) {
        if (typeOf(w) === 'object') entries++;
        sum += retainedOf(w);
      }
      t.entries = entries;
      t.entriesRetainedKiB = kib(sum);
      t.perEntryBytes = entries > 0 ? Math.round(sum / entries) : 0;
    }
  }
  objects.push(t);
}
objects.sort((a, b) => (b.retainedKiB as number) - (a.retainedKiB as number));

const byClass = new Map<string, { count: number; self: number }>();
for (let v = 0; v < N; v++) {
  if (post[v] === -1) continue;
  const k = `${typeOf(v)}:${typeOf(v) === 'object' || typeOf(v) === 'closure' ? nameOf(v) : ''}`;
  const c = byClass.get(k) ?? { count: 0, self: 0 };
  c.count++;
  c.self += selfSize(v);
  byClass.set(k, c);
}
const total = retained[R - 1]!;

/** The dominator tree from the root, children of at least `min` bytes, `depth` levels: what holds the heap. */
const children = new Map<number, number[]>();
for (let p = 0; p < R - 1; p++) {
  const d = idom[p]!;
  if (d < 0 || retained[p]! < minBytes * 4) continue;
  const list = children.get(d) ?? [];
  list.push(p);
  children.set(d, list);
}
function dominators(p: number, depth: number): Record<string, unknown> {
  const v = order[p]!;
  const out: Record<string, unknown> = { node: `${typeOf(v)}:${nameOf(v).slice(0, 60)}`, retainedKiB: kib(retained[p]!) };
  // Who refers to it (class and field), so that a Map held from two places can still be named.
  const refs: string[] = [];
  for (let k = predStart[v]!; k < predStart[v + 1]! && refs.length < 6; k++) {
    const from = preds[k]!;
    const edge = fields(from).find(([, to]) => to === v)?.[0] ?? '?';
    const cls = typeOf(from) === 'object' ? nameOf(from) : typeOf(from);
    if (cls === 'system / Context' || cls === 'closure' || !refs.includes(`${cls}.${edge}`)) refs.push(`${cls}.${edge}`);
  }
  if (refs.length > 0) out.referredBy = refs;
  const kids = (children.get(p) ?? []).sort((a, b) => retained[b]! - retained[a]!).slice(0, 12);
  if (depth > 0 && kids.length > 0) out.holds = kids.map((k) => dominators(k, depth - 1));
  return out;
}
process.stdout.write(`${JSON.stringify({
  file,
  nodes: N,
  reachableNodes: R,
  totalReachableKiB: kib(total),
  dominatorTree: dominators(R - 1, Number(process.env.HEAP_TREE_DEPTH ?? 7)),
  speakerObjects: objects,
  largestBySelfSize: [...byClass].sort((a, b) => b[1].self - a[1].self).slice(0, 30).map(([k, c]) => ({ kind: k, count: c.count, selfKiB: kib(c.self) })),
}, null, 2)}\n`);
