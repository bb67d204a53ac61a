import type { LBAddress } from '../api/v1beta1.js';
import type { Allocator } from './allocator.js';
import { lbAddressName } from './lbAddressName.js';
import { planLBAddressChanges, planLBAddresses, type LBAddressPlan } from './lbAddressPlan.js';

/**
 * Decides which LBAddress objects to compare with the allocator on the next sync, so a sync costs work in
 * proportion to what changed since the last one, not to every address in use: the addresses whose users or
 * pool changed (the allocator lists them), and the objects someone else changed (touch). Everything is
 * compared only when asked (a new leader's first pass, a pool edit).
 */
export class LBAddressSync {
  private all = true;
  private readonly touched = new Set<string>();

  constructor(private readonly allocator: Allocator) {}

  /** The next plan compares every object (a new leader, pools edited). */
  compareAll(): void {
    this.all = true;
  }

  /** An object changed under us (watch event, failed write): the next plan looks at it again. */
  touch(name: string): void {
    this.touched.add(name);
  }

  /** Whether the next plan has something to look at. */
  get pending(): boolean {
    return this.all || this.touched.size > 0 || this.allocator.hasChanges();
  }

  /** The writes that bring the objects in `existing` in line with the allocator; `full` says which way it was planned. */
  plan(existing: ReadonlyMap<string, LBAddress>): LBAddressPlan & { readonly full: boolean; readonly looked: number } {
    const changed = this.allocator.takeChanges();
    if (this.all) {
      this.all = false;
      this.touched.clear();
      return { ...planLBAddresses(this.allocator.addressUses(), existing), full: true, looked: existing.size };
    }
    const names = new Set(this.touched);
    this.touched.clear();
    for (const a of changed) names.add(lbAddressName(a));
    return { ...planLBAddressChanges({ names, useOf: (a) => this.allocator.useOf(a), existing }), full: false, looked: names.size };
  }
}
