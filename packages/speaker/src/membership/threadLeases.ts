import type { MembershipLeaseHooks, MembershipLeases } from './membershipLeases.js';
import type { FromMembershipThread, ToMembershipThread } from './membershipThreadProtocol.js';

export type LeaseMessage = Extract<ToMembershipThread, { type: 'leaseUpsert' | 'leaseDelete' | 'leasesSynced' }>;

/**
 * The membership worker's Leases: the main thread's KubeLeases (MembershipWorker), reached by message, so
 * the worker loads no Kubernetes client (a second copy of it in the worker's isolate cost ~18 MiB). The
 * state to publish goes out on start and on every poke; the peers' Leases come back in order, the
 * "listed" mark after the first list's upserts. Renewals and watch restarts are counted where they happen,
 * on the main thread. A wedged main thread renews nothing by itself (no main-loop check needed).
 */
export class ThreadLeases implements MembershipLeases {
  synced = false;
  private hooks: MembershipLeaseHooks | undefined;

  constructor(
    readonly durationMs: number,
    private readonly post: (m: FromMembershipThread) => void,
  ) {}

  start(hooks: MembershipLeaseHooks): void {
    this.hooks = hooks;
    this.post({ type: 'leasesStart', state: hooks.state() });
  }

  poke(): void {
    if (this.hooks) this.post({ type: 'leaseState', state: this.hooks.state() });
  }

  stop(): void {
    if (!this.hooks) return;
    this.hooks = undefined;
    this.post({ type: 'leasesStop' });
  }

  /** A message from the main thread's KubeLeases; ignored once stopped. */
  receive(m: LeaseMessage): void {
    const hooks = this.hooks;
    if (!hooks) return;
    switch (m.type) {
      case 'leaseUpsert':
        hooks.onUpsert(m.seen);
        break;
      case 'leaseDelete':
        hooks.onDelete(m.node);
        break;
      case 'leasesSynced':
        this.synced = true;
        break;
    }
  }
}
