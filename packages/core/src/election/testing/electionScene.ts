// Shared building blocks of the election tests (`../*.test.ts`): one node, one Service, one address, one
// L2Advertisement with the defaults those tests vary from. Test-only: `src/index.ts` does not export it. Plain
// data (no vitest, no hashing) so that each test keeps its own independent ranking and its assertions.
import type { L2Advertisement } from '../../api/v1beta1.js';
import { parseAddress, type IPAddress } from '../../ip/address.js';
import type { AddressElectionInput, NodeVariants } from '../incrementalElection.js';
import type { NodeFacts, ServiceFacts } from '../nodeFacts.js';
import { SeededRandom } from '../../membership/seededRandom.js';

/** A fixture address that does not parse is a bug in the test: throw. */
export const ip = (t: string): IPAddress => {
  const r = parseAddress(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

/** A Linux node on 192.0.2.0/24 and 2001:db8:1::/64, a member, not draining. */
export const node = (name: string, over: Partial<NodeFacts> = {}): NodeFacts => ({
  name, labels: { 'kubernetes.io/os': 'linux' }, networkUnavailable: false, member: true, draining: false,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24', '2001:db8:1::b/64'] }], ...over,
});

/** The same facts whether or not the address is answered. */
export const both = (f: NodeFacts): NodeVariants => ({ answered: f, unanswered: f });

/** default/web, cluster traffic policy, one ready endpoint on n1. */
export const svc = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({ key: 'default/web', local: false, endpoints: [{ nodeName: 'n1', ready: true, serving: true }], ...over });

/** An answered address of pool web, used by svc(). */
export const addr = (a: string, over: Partial<AddressElectionInput> = {}): AddressElectionInput => ({ address: ip(a), pool: { name: 'web' }, services: [svc()], answered: true, ...over });

/** An L2Advertisement that selects every pool and node. */
export const AD: L2Advertisement = { metadata: { name: 'ad' }, spec: {} };

/** A seeded stream for random stories: a failing seed replays the same story. */
export function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
