// Idle cost of a process as a user's node sees it, read from /proc the same way for herald's Node processes
// and MetalLB's Go ones (idleProfile.ts, idleCompare.ts): CPU time over a window, resident memory, and the
// resident memory split by mapping (a Node process's largest file mapping is the node binary itself).
import { readFileSync } from 'node:fs';
import { mib } from './stats.js';

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** Resident memory by mapping: the executable's file pages (node or the Go binary), other files, and anonymous (heap, stacks, malloc). */
export function memoryMap(pid: number): Record<string, number> {
  const out = { executableMiB: 0, otherFilesMiB: 0, anonymousMiB: 0, privateMiB: 0, sharedMiB: 0, pssMiB: 0 };
  let exe = '';
  try {
    exe = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    // gone; the caller sees zeros
  }
  let kind: 'exe' | 'file' | 'anon' = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1] ?? '';
      kind = path.endsWith('/bin/node') || (exe !== '' && path === exe) ? 'exe' : path.startsWith('/') ? 'file' : 'anon';
      continue;
    }
    const field = /^(Rss|Pss|Private_Clean|Private_Dirty|Shared_Clean|Shared_Dirty):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    const kib = Number(field[2]);
    if (field[1] === 'Rss') {
      if (kind === 'exe') out.executableMiB += kib;
      else if (kind === 'file') out.otherFilesMiB += kib;
      else out.anonymousMiB += kib;
    } else if (field[1] === 'Pss') out.pssMiB += kib;
    else if (field[1]!.startsWith('Private')) out.privateMiB += kib;
    else out.sharedMiB += kib;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, mib(v)]));
}
