import type { MembershipView, PeerTransition } from '@herald/core';
import type { Logger } from 'pino';

export type MembershipListener = (view: MembershipView, transitions: readonly PeerTransition[]) => void;

/**
 * The 'change' listeners of Membership and of MembershipWorker (the same MembershipPort in-process and in
 * the worker): a listener that throws is logged, and the others are still told.
 */
export class ChangeListeners {
  private readonly listeners = new Set<MembershipListener>();

  constructor(private readonly log: Logger) {}

  add(event: 'change', listener: MembershipListener): void {
    if (event !== 'change') throw new Error(`Membership emits 'change' only, not ${JSON.stringify(event)}`);
    this.listeners.add(listener);
  }

  delete(listener: MembershipListener): void {
    this.listeners.delete(listener);
  }

  emit(view: MembershipView, transitions: readonly PeerTransition[]): void {
    for (const listener of this.listeners) {
      try {
        listener(view, transitions);
      } catch (e) {
        this.log.error({ event: 'membershipListenerFailed', err: (e as Error).message }, 'a membership change listener threw');
      }
    }
  }
}
