// Types of harnessCgroups.mjs (plain JavaScript, because the reaper runs without tsx).
export const CGROUP_FS: string;
export function cgroupPids(name: string): number[];
export function removeCgroup(name: string, o?: { timeoutMs?: number }): Promise<string[]>;
export function harnessCgroups(prefix?: string): string[];
