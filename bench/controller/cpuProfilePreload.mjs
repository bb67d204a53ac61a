// Investigation aid: `NODE_OPTIONS=--import=<this file>` starts the V8 CPU profiler in a process and writes
// the profile to $HERALD_CPU_PROF_DIR/<pid>.cpuprofile on SIGUSR2 (node rejects --cpu-prof in NODE_OPTIONS).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.HERALD_CPU_PROF_DIR ?? '/tmp';
const session = new Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.start'));
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
