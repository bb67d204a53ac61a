// Investigation aid: `NODE_OPTIONS=--import=<this file>` runs the V8 CPU profiler in a process; every SIGUSR2
// writes what it sampled since the previous one to $HERALD_CPU_PROF_DIR/<pid>-<n>.cpuprofile and starts a
// new window, so a benchmark can profile an idle period apart from start-up.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.HERALD_CPU_PROF_DIR ?? '/tmp';
const session = new Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.start'));
let window = 0;
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(join(dir, `${process.pid}-${window++}.cpuprofile`), JSON.stringify(result.profile));
    session.post('Profiler.start');
  });
});
