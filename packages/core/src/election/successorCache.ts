import type { Candidate } from './electOwner.js';

/**
 * Who would own each address if its owner died (IncrementalElection.successorIfGone), kept between standby
 * plans, with what lets the election forget exactly the answers a change can move: by successor node, and
 * the addresses nobody else may announce. The election decides when to forget (see successorIfGone there);
 * this only keeps the answers and the two indexes in step.
 */
export class SuccessorCache {
  /** Address → its successor, or null: nobody but the owner may announce it. */
  private readonly byAddress = new Map<string, Candidate | null>();
  /** Successor node → the addresses it would take. */
  private readonly byNode = new Map<string, Set<string>>();
  private readonly nobody = new Set<string>();

  /** The kept answer: a candidate, null for nobody, undefined when none is kept. */
  get(address: string): Candidate | null | undefined {
    return this.byAddress.get(address);
  }

  set(address: string, successor: Candidate | undefined): void {
    this.forget(address);
    this.byAddress.set(address, successor ?? null);
    if (!successor) {
      this.nobody.add(address);
      return;
    }
    let set = this.byNode.get(successor.node);
    if (!set) this.byNode.set(successor.node, (set = new Set()));
    set.add(address);
  }

  forget(address: string): void {
    const before = this.byAddress.get(address);
    if (before === undefined) return;
    this.byAddress.delete(address);
    if (before === null) {
      this.nobody.delete(address);
      return;
    }
    const set = this.byNode.get(before.node);
    set?.delete(address);
    if (set?.size === 0) this.byNode.delete(before.node);
  }

  /** Forgets the addresses `node` would take: its facts changed, or it is gone. */
  forgetNode(node: string): void {
    for (const a of this.byNode.get(node) ?? []) this.byAddress.delete(a);
    this.byNode.delete(node);
  }

  /** Forgets the addresses nobody else may announce: a node changed, and may be eligible now. */
  forgetNobody(): void {
    for (const a of this.nobody) this.byAddress.delete(a);
    this.nobody.clear();
  }

  /** Answers kept (tests, benchmarks). */
  get size(): number {
    return this.byAddress.size;
  }
}
