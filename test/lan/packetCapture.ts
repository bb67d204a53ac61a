import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, type Spawned } from '../processes.js';
import { run } from '../run.js';
import type { Lan, LanHost } from './lan.js';

/** tcpdump writing a pcap in a host's namespace; decoded with `tcpdump -r -e -nn` when stopped. */
export class PacketCapture {
  private lines: string[] | undefined;
  private constructor(private readonly proc: Spawned, readonly file: string) {}

  /**
   * What tcpdump said at exit it lost ("N packets dropped by kernel": its buffer was full), once stopped;
   * a capture that must see every frame asserts this is 0.
   */
  kernelDrops(): number {
    const m = /(\d+) packets? dropped by kernel/.exec(readFileSync(this.proc.logFile, 'utf8'));
    if (!m) throw new Error(`tcpdump printed no drop count (still running?): ${readFileSync(this.proc.logFile, 'utf8').slice(-500)}`);
    return Number(m[1]);
  }

  static async start(lan: Lan, host: LanHost, filter: string): Promise<PacketCapture> {
    const file = join(lan.logDir, `${host.name}-${Date.now()}.pcap`);
    const proc = lan.spawn(host, ['tcpdump', '-i', host.lanInterface, '--immediate-mode', '-B', '8192', '-Z', 'root', '-U', '-nn', '-w', file, ...filter.split(' ')], { logName: 'tcpdump' });
    // tcpdump says "listening on" once the socket is open; packets before that would be missed.
    await waitFor('tcpdump to listen', () => readFileSync(proc.logFile, 'utf8').includes('listening on'), {
      timeoutMs: 10_000,
      intervalMs: 20,
      abortIf: () => (proc.child.exitCode !== null ? `tcpdump exited: ${readFileSync(proc.logFile, 'utf8')}` : undefined),
    });
    return new PacketCapture(proc, file);
  }

  /** Stops the capture (once) and returns one decoded line per packet, with link-layer headers. */
  async stop(): Promise<string[]> {
    if (this.lines) return this.lines;
    await this.proc.stop(5_000);
    const r = await run('tcpdump', ['-r', this.file, '-nn', '-e']);
    this.lines = r.stdout.split('\n').filter(Boolean);
    return this.lines;
  }
}
