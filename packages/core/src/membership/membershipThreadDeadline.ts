/**
 * The membership thread's SCHED_DEADLINE budget (--membership-thread-priority deadline; ADR 0012,
 * "SCHED_DEADLINE: real time the kernel bounds"): `runtimeUs` of CPU in every `periodUs`, the deadline the
 * period's end. The kernel runs the thread ahead of every normal thread while it has budget left, throttles
 * it until the next period once it has used it up, and refuses (EBUSY) a thread whose budget would take the
 * deadline threads of a host past its limit (95 % of each CPU by default, less the 5 % this kernel keeps
 * for normal threads), so of many speakers sharing a host only as many as fit get it, each held to 20 %.
 *
 * 2 ms every 10 ms (20 % of one CPU): the thread idles at 1.5–2 % of a CPU in ~40 wake-ups a second of
 * ~0.4 ms each, and used 2.8–5.5 % answering ~150 ARP/NDP requests a second for 10,000 addresses; 2 ms is
 * five such wake-ups in one period, 20 % four times the busiest share measured. A throttled thread waits
 * up to period − runtime (8 ms), so the period stays short. At 20 % a host admits 4–4.5 such threads
 * per CPU (9 on 2 CPUs here); a node with one speaker uses a fifth of one CPU's deadline bandwidth at most.
 */
export interface DeadlineBudget {
  readonly runtimeUs: number;
  readonly periodUs: number;
}

export const DEFAULT_DEADLINE_BUDGET: DeadlineBudget = { runtimeUs: 2_000, periodUs: 10_000 };
