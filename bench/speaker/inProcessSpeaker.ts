// The real SpeakerController and Announcer of a build, in one process with no API server and no wire: fake
// sockets (the announcer's bookkeeping is real, nothing is sent), a membership whose peers the bench sets,
// and caches the bench fills as their watches would. The election benches (electionLoop.ts,
// handoverGarbage.ts) measure the same speaker this way, each with its own world.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';

/* eslint-disable @typescript-eslint/no-explicit-any -- the measured checkout's classes are loaded at run time, and the benches reach into their caches */

/** The measured checkout's classes (loaded from its dist/, so one bench measures main and a branch). */
export interface HeraldSpeakerModules {
  SpeakerController: any;
  Announcer: any;
  createSpeakerMetrics: () => unknown;
}

/** A peer as the speaker's membership reports it. */
export interface BenchPeer {
  alive: boolean; ready: boolean; draining: boolean; judgedBy: string; heartbeatsBroken: boolean;
  interfaces: unknown[]; announcing: string[]; macs: string[]; incarnation?: number;
}

/** Status writes: by default the written object is handed back, as the API server would, and nothing more. */
export interface BenchStatusWriter {
  patchStatus(name: string, status: unknown): Promise<unknown>;
  read(name: string): Promise<unknown>;
  lbAddressEvent(): void;
  event(): void;
}

export interface InProcessSpeaker {
  ctl: any;
  /** The controller's caches (ElectionFacts; the controller itself before that split). */
  facts: any;
  /** What runs the election rounds (ElectionScheduler; the controller itself before that split). */
  rounder: any;
  announcer: any;
  /** Tells the controller the membership changed (after the bench edited `peers`). */
  membershipChanged(): void;
  /** Puts an object in a controller cache as its watch would, and tells the controller. */
  put(reflector: any, key: string, obj: any): void;
  meta(name: string, namespace?: string, labels?: Record<string, string>): Record<string, unknown>;
  /** The next resourceVersion, for objects the bench changes itself. */
  nextVersion(): string;
  /** This node's one link, carrying `subnet`. */
  setLink(subnet: string): void;
}

export function inProcessSpeaker(o: {
  herald: HeraldSpeakerModules;
  self: string;
  peers: Map<string, BenchPeer>;
  heartbeatAddress: string;
  log: Logger;
  /** Given the caches (once they exist), the status writer; default: hands the written object back. */
  writer?: (facts: () => any) => BenchStatusWriter;
  /** More SpeakerController options (a checkout that does not know one ignores it). */
  controller?: Record<string, unknown>;
}): InProcessSpeaker {
  const socket = (ifname: string) => ({
    mac: Buffer.from([2, 0, 0, 0, 0, 2]), ifindex: 2, interface: ifname,
    start: () => undefined, send: () => undefined, close: () => undefined, joinGroup: () => undefined, leaveGroup: () => undefined,
    addMembership: () => undefined, dropMembership: () => undefined, setAllMulticast: () => undefined,
  });
  const metrics = o.herald.createSpeakerMetrics();
  const box: { ctl?: any; facts?: any } = {};
  const announcer = new o.herald.Announcer({
    sockets: { packet: socket, icmp6: socket }, log: o.log, metrics, bursts: 0,
    onAnnounced: (a: unknown) => box.ctl.onAnnounced(a), onStopped: (a: unknown) => box.ctl.onStopped(a), onClaim: () => undefined,
  });
  const listeners: (() => void)[] = [];
  const membership = { peers: () => o.peers, peersListed: () => true, onChange: (l: () => void) => listeners.push(l), setLocalState: () => undefined };
  const facts = () => box.facts;
  const writer = o.writer?.(facts) ?? {
    patchStatus: async (name: string, status: unknown) => ({ ...facts().addresses.store.get(name), status }),
    read: async (name: string) => facts().addresses.store.get(name),
    lbAddressEvent: () => undefined,
    event: () => undefined,
  };
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const ctl = new o.herald.SpeakerController({
    node: o.self, kubeConfig: kc, log: o.log, metrics, announcer, writer, membership, lbClass: undefined,
    heartbeatAddress: o.heartbeatAddress, handoverTimeoutMs: 200, claimAfterReadyMs: 0, peerWaitMs: 0, ...o.controller,
  });
  box.ctl = ctl;
  box.facts = ctl.facts ?? ctl;
  let rv = 1;
  const nextVersion = () => String(rv++);
  return {
    ctl,
    facts: box.facts,
    rounder: ctl.scheduler ?? ctl,
    announcer,
    membershipChanged: () => listeners.forEach((l) => l()),
    put: (reflector, key, obj) => {
      const previous = reflector.store.get(key);
      reflector.store.set(key, obj);
      reflector.o.onChange(previous ? 'updated' : 'added', obj, previous);
    },
    meta: (name, namespace, labels) => ({ name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, resourceVersion: nextVersion(), ...(labels ? { labels } : {}) }),
    nextVersion,
    setLink: (subnet) => ctl.setLinks([{ name: 'eth0', index: 2, type: 'ETHER', up: true, carrier: true, enslaved: false, noArp: false, mac: '02:00:00:00:00:02', subnets: [subnet] }]),
  };
}
