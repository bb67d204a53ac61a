import { formatAddress, type Family, type IPAddress } from '../ip/address.js';
import { IPSet } from '../ip/ipSet.js';
import { matchesAny } from '../pool/labelSelector.js';
import { countBuggy, isBuggyAddress, poolOrder, type Pool } from '../pool/pool.js';
import type { AllocationRequest, PortUse } from './allocationRequest.js';
import type { AssignReason, ReleaseReason } from './assignReason.js';

export interface Release {
  readonly address: IPAddress;
  readonly reason: ReleaseReason;
  readonly detail: string;
}

/** The outcome of one assign(): the addresses the Service should show now, and why. */
export type AssignOutcome =
  | { readonly ok: true; readonly addresses: IPAddress[]; readonly pool: string; readonly unchanged: boolean; readonly released: Release[] }
  | { readonly ok: false; readonly reason: Exclude<AssignReason, 'Assigned'>; readonly detail: string; readonly addresses: IPAddress[]; readonly pool?: string; readonly released: Release[] };

interface User {
  readonly namespace: string;
  readonly sharingKey: string | undefined;
  readonly sharingNamespaces: readonly string[];
  readonly backendKey: string;
  readonly ports: readonly PortUse[];
}

interface AddressUse {
  readonly address: IPAddress;
  pool: string;
  readonly users: Map<string, User>;
}

export interface FamilyUsage {
  total: bigint;
  inUse: bigint;
}

export interface PoolUsage {
  readonly v4: FamilyUsage;
  readonly v6: FamilyUsage;
}

/** One address in use, as an LBAddress object shows it: its pool and the Services on it (sorted). */
export interface AddressUseView {
  readonly address: IPAddress;
  readonly pool: string;
  readonly services: string[];
}

/**
 * Work the allocator did, counted (not timed) so a test can hold it to "proportional to what changed":
 * `usesVisited` counts address uses read while answering questions (usage, changes); it must not grow with
 * the number of addresses in use when one Service changes.
 */
export interface AllocatorWork {
  usesVisited: number;
}

const keyOf = (a: IPAddress): string => `${a.family}:${a.value}`;
const fmt = formatAddress;
const sameAddress = (a: IPAddress, b: IPAddress) => a.family === b.family && a.value === b.value;

/**
 * Assigns addresses from pools to Services. Pure: it holds state but does no I/O and reads no clock, so
 * every rule is table-tested. Rules (MetalLB-compatible, see reference/metallb.md §2) with two deliberate
 * differences: pools are tried in a fixed order (priority, then name), and an address that is still inside
 * a pool compatible with its Service never moves.
 */
export class Allocator {
  private pools: Pool[] = [];
  private readonly uses = new Map<string, AddressUse>();
  private readonly services = new Map<string, IPAddress[]>();
  private readonly bySharingKey = new Map<string, Set<string>>();
  private used = IPSet.empty;
  /** Addresses in use per pool and family, kept in step with `uses` so pool status costs O(1) per pool. */
  private readonly inUse = new Map<string, { v4: number; v6: number }>();
  /** Addresses whose pool or users changed since the last takeChanges(): the LBAddress objects to look at. */
  private readonly changed = new Map<string, IPAddress>();
  /** Services holding at least one address. */
  private holders = 0;
  readonly work: AllocatorWork = { usesVisited: 0 };

  setPools(pools: readonly Pool[]): void {
    this.pools = [...pools].sort(poolOrder);
    // A pool edit may move any address to another pool: the one O(addresses) step, taken only on pool edits.
    for (const [k, use] of this.uses) {
      this.work.usesVisited++;
      const pool = this.poolHolding(use.address)?.name ?? '';
      if (pool === use.pool) continue;
      this.count(use, -1);
      use.pool = pool;
      this.count(use, +1);
      this.changed.set(k, use.address);
    }
  }

  private count(use: AddressUse, delta: 1 | -1): void {
    let c = this.inUse.get(use.pool);
    if (!c) this.inUse.set(use.pool, (c = { v4: 0, v6: 0 }));
    if (use.address.family === 4) c.v4 += delta;
    else c.v6 += delta;
    if (c.v4 === 0 && c.v6 === 0) this.inUse.delete(use.pool);
  }

  hasChanges(): boolean {
    return this.changed.size > 0;
  }

  /** Every address whose pool or users changed since the last call (in use or not any more); clears the list. */
  takeChanges(): IPAddress[] {
    const out = [...this.changed.values()];
    this.changed.clear();
    return out;
  }

  /** The address's use as its LBAddress object shows it, or undefined when no Service holds it. */
  useOf(address: IPAddress): AddressUseView | undefined {
    const use = this.uses.get(keyOf(address));
    this.work.usesVisited++;
    return use ? { address: use.address, pool: use.pool, services: [...use.users.keys()].sort() } : undefined;
  }

  /** How many Services hold at least one address. */
  assignedServices(): number {
    return this.holders;
  }

  private hold(serviceKey: string, addresses: IPAddress[]): void {
    const before = this.services.get(serviceKey)?.length ?? 0;
    this.services.set(serviceKey, addresses);
    this.holders += (addresses.length > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
  }

  private unhold(serviceKey: string): void {
    if ((this.services.get(serviceKey)?.length ?? 0) > 0) this.holders--;
    this.services.delete(serviceKey);
  }

  poolNames(): string[] {
    return this.pools.map((p) => p.name);
  }

  /** Valid pools first, in allocation order, so an address is attributed to the pool that may hand it out. */
  private poolHolding(address: IPAddress): Pool | undefined {
    return this.pools.find((p) => p.valid && p.addresses.contains(address)) ?? this.pools.find((p) => p.addresses.contains(address));
  }

  assignmentOf(serviceKey: string): IPAddress[] {
    return this.services.get(serviceKey) ?? [];
  }

  /**
   * What others sharing an address check about this Service (key, namespaces, policy, ports), as text;
   * undefined while it holds nothing. A change re-plans Services waiting on its addresses.
   */
  sharingTermsOf(serviceKey: string): string | undefined {
    const first = this.services.get(serviceKey)?.[0];
    const user = first ? this.uses.get(keyOf(first))?.users.get(serviceKey) : undefined;
    return user ? JSON.stringify(user) : undefined;
  }

  /** Every address in use, with its pool and the Services on it (sorted), for LBAddress objects. */
  *addressUses(): Generator<AddressUseView> {
    for (const use of this.uses.values()) {
      this.work.usesVisited++;
      yield { address: use.address, pool: use.pool, services: [...use.users.keys()].sort() };
    }
  }

  servicesOn(address: IPAddress): string[] {
    return [...(this.uses.get(keyOf(address))?.users.keys() ?? [])].sort();
  }

  usage(poolName: string): PoolUsage | undefined {
    const pool = this.pools.find((p) => p.name === poolName);
    if (!pool) return undefined;
    const usage: PoolUsage = { v4: { total: 0n, inUse: 0n }, v6: { total: 0n, inUse: 0n } };
    for (const r of pool.addresses.ranges) {
      const f = r.family === 4 ? usage.v4 : usage.v6;
      f.total += r.last - r.first + 1n - (pool.avoidBuggyIPs && r.family === 4 ? countBuggy(r.first, r.last) : 0n);
    }
    const c = this.inUse.get(poolName);
    usage.v4.inUse = BigInt(c?.v4 ?? 0);
    usage.v6.inUse = BigInt(c?.v6 ?? 0);
    return usage;
  }

  /** usage() counted from scratch over every address in use: what the kept counts must always equal. */
  usageRecount(poolName: string): PoolUsage | undefined {
    const usage = this.usage(poolName);
    if (!usage) return undefined;
    usage.v4.inUse = 0n;
    usage.v6.inUse = 0n;
    for (const use of this.uses.values()) {
      this.work.usesVisited++;
      if (use.pool === poolName) (use.address.family === 4 ? usage.v4 : usage.v6).inUse += 1n;
    }
    return usage;
  }

  /** Frees everything the Service holds; returns the addresses no other Service still uses. */
  release(serviceKey: string): IPAddress[] {
    return this.leave(serviceKey).freed;
  }

  /**
   * Takes the Service off every address it holds. `left` is every address whose users changed (shared
   * ones included: Services waiting on them must be re-planned); `freed` the ones nobody uses any more.
   */
  leave(serviceKey: string): { left: IPAddress[]; freed: IPAddress[] } {
    const left = [...(this.services.get(serviceKey) ?? [])];
    const freed = left.filter((a) => this.dropUser(a, serviceKey));
    this.unhold(serviceKey);
    return { left, freed };
  }

  private dropUser(address: IPAddress, serviceKey: string): boolean {
    const k = keyOf(address);
    const use = this.uses.get(k);
    if (!use) return false;
    const user = use.users.get(serviceKey);
    if (use.users.delete(serviceKey)) this.changed.set(k, use.address);
    if (user?.sharingKey) this.unindexSharing(user.sharingKey, k, use);
    if (use.users.size > 0) return false;
    this.uses.delete(k);
    this.count(use, -1);
    this.used = this.used.withoutAddress(address);
    return true;
  }

  private addUser(address: IPAddress, pool: string, req: AllocationRequest): void {
    const k = keyOf(address);
    let use = this.uses.get(k);
    if (!use) {
      use = { address, pool, users: new Map() };
      this.uses.set(k, use);
      this.count(use, +1);
      this.used = this.used.withAddress(address);
    }
    const previous = use.users.get(req.key);
    if (!previous) this.changed.set(k, use.address);
    use.users.set(req.key, { namespace: req.namespace, sharingKey: req.sharingKey, sharingNamespaces: req.sharingNamespaces, backendKey: req.backendKey, ports: req.ports });
    // A user that changed its key must not leave the old key pointing at this address.
    if (previous?.sharingKey && previous.sharingKey !== req.sharingKey) this.unindexSharing(previous.sharingKey, k, use);
    if (req.sharingKey) {
      let set = this.bySharingKey.get(req.sharingKey);
      if (!set) this.bySharingKey.set(req.sharingKey, (set = new Set()));
      set.add(k);
    }
  }

  /**
   * The indexes (uses, services, bySharingKey, used, the per-pool counts) are kept in step by hand for speed; this says
   * where they disagree (empty when consistent). The property test calls it after every step of random
   * stories; it is cheap enough to call from a debug endpoint too.
   */
  invariantViolations(): string[] {
    const out: string[] = [];
    const fromServices = new Map<string, Set<string>>();
    for (const [svc, addresses] of this.services) {
      if (new Set(addresses.map(keyOf)).size !== addresses.length) out.push(`${svc} holds an address twice`);
      for (const a of addresses) {
        const k = keyOf(a);
        if (!this.uses.get(k)?.users.has(svc)) out.push(`${svc} holds ${fmt(a)} but is not among its users`);
        let set = fromServices.get(k);
        if (!set) fromServices.set(k, (set = new Set()));
        set.add(svc);
      }
    }
    for (const [k, use] of this.uses) {
      if (use.users.size === 0) out.push(`${fmt(use.address)} is in use by nobody`);
      for (const svc of use.users.keys()) if (!fromServices.get(k)?.has(svc)) out.push(`${svc} is a user of ${fmt(use.address)} but does not hold it`);
      if (!this.used.contains(use.address)) out.push(`${fmt(use.address)} is in use but not in the used set`);
      for (const u of use.users.values()) if (u.sharingKey && !this.bySharingKey.get(u.sharingKey)?.has(k)) out.push(`key "${u.sharingKey}" does not index ${fmt(use.address)}`);
    }
    if (this.used.size() !== BigInt(this.uses.size)) out.push(`the used set holds ${this.used.size()} addresses, ${this.uses.size} are in use`);
    const counted = new Map<string, { v4: number; v6: number }>();
    for (const use of this.uses.values()) {
      let c = counted.get(use.pool);
      if (!c) counted.set(use.pool, (c = { v4: 0, v6: 0 }));
      if (use.address.family === 4) c.v4++;
      else c.v6++;
    }
    for (const pool of new Set([...counted.keys(), ...this.inUse.keys()])) {
      const want = counted.get(pool) ?? { v4: 0, v6: 0 };
      const have = this.inUse.get(pool) ?? { v4: 0, v6: 0 };
      if (want.v4 !== have.v4 || want.v6 !== have.v6) out.push(`pool "${pool}" counts ${have.v4}+${have.v6} addresses in use, ${want.v4}+${want.v6} are`);
    }
    const holders = [...this.services.values()].filter((a) => a.length > 0).length;
    if (holders !== this.holders) out.push(`${this.holders} Services counted as holding addresses, ${holders} do`);
    for (const [key, set] of this.bySharingKey) {
      if (set.size === 0) out.push(`key "${key}" indexes no address`);
      for (const k of set) if (![...(this.uses.get(k)?.users.values() ?? [])].some((u) => u.sharingKey === key)) out.push(`key "${key}" indexes ${k}, which no user with that key holds`);
    }
    return out;
  }

  /** Drops `address` from the index of `sharingKey` once no user of it has that key; empty sets go too. */
  private unindexSharing(sharingKey: string, k: string, use: AddressUse): void {
    if ([...use.users.values()].some((u) => u.sharingKey === sharingKey)) return;
    const set = this.bySharingKey.get(sharingKey);
    set?.delete(k);
    if (set?.size === 0) this.bySharingKey.delete(sharingKey);
  }

  /**
   * Why `req` may not join the Services already on `address`, or undefined if it may. Sharing is scoped to
   * one namespace; across namespaces both Services must name each other's namespace. A message about a
   * Service in another namespace never names it or its key: one probe must not reveal either.
   */
  private sharingProblem(address: IPAddress, req: AllocationRequest): string | undefined {
    const use = this.uses.get(keyOf(address));
    if (!use) return undefined;
    for (const [other, u] of use.users) {
      if (other === req.key) continue;
      if (u.namespace !== req.namespace) {
        const mutual = u.sharingNamespaces.includes(req.namespace) && req.sharingNamespaces.includes(u.namespace);
        if (!mutual || !req.sharingKey || u.sharingKey !== req.sharingKey) return `${fmt(address)} is in use by a Service in another namespace`;
      } else if (!req.sharingKey || u.sharingKey !== req.sharingKey) {
        return `${fmt(address)} is used by ${other}${u.sharingKey ? ` with sharing key "${u.sharingKey}"` : ' without a sharing key'}${req.sharingKey ? `; this Service has "${req.sharingKey}"` : '; this Service has none'}`;
      }
      const who = u.namespace === req.namespace ? other : 'a Service in another namespace';
      if (u.backendKey !== req.backendKey) {
        return `${fmt(address)} is shared with ${who}, and Services sharing an address with externalTrafficPolicy Local need the same policy and selector`;
      }
      const clash = req.ports.find((p) => u.ports.some((q) => q.port === p.port && q.protocol === p.protocol));
      if (clash) return `${fmt(address)} is shared with ${who}, which already uses ${clash.protocol}/${clash.port}`;
    }
    return undefined;
  }

  /** Why `pool` may not serve `req`, or undefined if it may. */
  private poolProblem(pool: Pool, req: AllocationRequest): string | undefined {
    const sa = pool.serviceAllocation;
    if (!sa) return undefined;
    const namespaces = sa.namespaces ?? [];
    const nsSelectors = sa.namespaceSelectors ?? [];
    if ((namespaces.length > 0 || nsSelectors.length > 0) && !namespaces.includes(req.namespace) && !matchesAny(nsSelectors, req.namespaceLabels)) {
      return `pool "${pool.name}" serves ${namespaces.length ? `namespaces [${namespaces.join(', ')}]` : 'selected namespaces'}; the Service is in "${req.namespace}"`;
    }
    const svcSelectors = sa.serviceSelectors ?? [];
    if (svcSelectors.length > 0 && !matchesAny(svcSelectors, req.labels)) {
      return `pool "${pool.name}" serves only Services matching its serviceSelectors`;
    }
    return undefined;
  }

  /** The lowest address of `family` in `pool` that is free or shareable with `req`. */
  private pick(pool: Pool, family: Family, req: AllocationRequest): IPAddress | undefined {
    let free = pool.addresses.firstFree(this.used, family);
    while (free && pool.avoidBuggyIPs && isBuggyAddress(family, free.value)) free = pool.addresses.firstFreeFrom(this.used, family, free.value + 1n);
    let shared: IPAddress | undefined;
    if (req.sharingKey) {
      for (const k of this.bySharingKey.get(req.sharingKey) ?? []) {
        const use = this.uses.get(k) as AddressUse;
        const a = use.address;
        if (a.family !== family || use.pool !== pool.name || this.sharingProblem(a, req) !== undefined) continue;
        if (!shared || a.value < shared.value) shared = a;
      }
    }
    if (!free) return shared;
    if (!shared) return free;
    return shared.value < free.value ? shared : free;
  }

  /** Decides the Service's addresses and records them. Calling it again with the same facts changes nothing. */
  assign(req: AllocationRequest): AssignOutcome {
    const released: Release[] = [];
    const held = this.services.get(req.key) ?? req.current;
    if (this.pools.length === 0 && held.length > 0) {
      // No pool exists at all: more likely "not configured yet" (a migration, a restore) than "take every
      // address away". Keep what Services hold until pools exist; only then can an address be outside them.
      const families = req.keepOnly ? [...new Set(held.map((a) => a.family))] : req.families;
      const kept = families.flatMap((f) => held.filter((a) => a.family === f).slice(0, 1));
      for (const a of held) if (!kept.includes(a)) this.dropUser(a, req.key);
      this.record(req, kept, '');
      return { ok: false, reason: 'NoMatchingPool', detail: `there are no IPAddressPools; keeping ${kept.map(fmt).join(', ')} until one holds it`, addresses: kept, released };
    }
    const kept: IPAddress[] = [];
    let keptPool: Pool | undefined;
    for (const a of held) {
      const problem = this.keepProblem(a, req, kept);
      if (problem) released.push({ address: a, ...problem });
      else {
        kept.push(a);
        keptPool ??= this.poolHolding(a);
      }
    }
    // Whatever is not kept is given back first, so the fresh choice below can see it as free.
    for (const r of released) this.dropUser(r.address, req.key);

    if (req.keepOnly) {
      // The request could not be read: keep what passed the checks above, choose nothing new.
      if (kept.length > 0) this.record(req, kept, keptPool?.name ?? '');
      else this.unhold(req.key);
      return { ok: false, reason: 'InvalidRequest', detail: 'the request cannot be read', addresses: kept, ...(keptPool ? { pool: keptPool.name } : {}), released };
    }

    const missing = req.families.filter((f) => !kept.some((a) => a.family === f));
    if (kept.length > 0 && keptPool) {
      const added: IPAddress[] = [];
      for (const f of missing) {
        const a = keptPool.valid && keptPool.addresses.families().includes(f) ? this.pick(keptPool, f, req) : undefined;
        if (a) added.push(a);
      }
      const addresses = [...kept, ...added];
      this.record(req, addresses, keptPool.name);
      const stillMissing = req.families.filter((f) => !addresses.some((a) => a.family === f));
      if (stillMissing.length > 0 && req.familyPolicy === 'RequireDualStack') {
        return { ok: false, reason: 'FamilyUnavailable', detail: `RequireDualStack: pool "${keptPool.name}" has no free IPv${stillMissing[0]} address; keeping ${addresses.map(fmt).join(', ')}`, addresses, pool: keptPool.name, released };
      }
      return { ok: true, addresses, pool: keptPool.name, unchanged: added.length === 0 && released.length === 0 && held.length === kept.length, released };
    }

    const fresh = req.addresses ? this.chooseRequested(req) : this.choosePool(req);
    if (!fresh.ok) {
      this.unhold(req.key);
      return { ...fresh, addresses: [], released };
    }
    this.record(req, fresh.addresses, fresh.pool);
    return { ok: true, addresses: fresh.addresses, pool: fresh.pool, unchanged: false, released };
  }

  private record(req: AllocationRequest, addresses: IPAddress[], pool: string): void {
    for (const a of addresses) this.addUser(a, this.poolHolding(a)?.name ?? pool, req);
    this.hold(req.key, addresses);
  }

  private keepProblem(a: IPAddress, req: AllocationRequest, kept: IPAddress[]): Omit<Release, 'address'> | undefined {
    // An unreadable request asks for nothing, so it cannot stop asking for a family either.
    if (!req.keepOnly && !req.families.includes(a.family)) return { reason: 'FamilyNotWanted', detail: `the Service no longer asks for IPv${a.family}` };
    if (kept.some((k) => k.family === a.family)) return { reason: 'FamilyNotWanted', detail: `the Service already has an IPv${a.family} address` };
    if (req.addresses && !req.addresses.some((r) => sameAddress(r, a))) {
      return { reason: 'RequestChanged', detail: `the Service now asks for ${req.addresses.map(fmt).join(', ')}` };
    }
    const pool = this.poolHolding(a);
    if (!pool) return { reason: 'OutsidePools', detail: `${fmt(a)} is no longer in any pool` };
    if (req.pool && pool.name !== req.pool) return { reason: 'RequestChanged', detail: `the Service now asks for pool "${req.pool}"; ${fmt(a)} is in "${pool.name}"` };
    const poolProblem = this.poolProblem(pool, req);
    if (poolProblem) return { reason: 'PoolIncompatible', detail: poolProblem };
    const sharing = this.sharingProblem(a, req);
    if (sharing) return { reason: 'SharingConflict', detail: sharing };
    return undefined;
  }

  private chooseRequested(req: AllocationRequest): { ok: true; addresses: IPAddress[]; pool: string } | { ok: false; reason: Exclude<AssignReason, 'Assigned'>; detail: string } {
    const requested = req.addresses ?? [];
    if (req.familyPolicy === 'RequireDualStack' && req.families.some((f) => !requested.some((a) => a.family === f))) {
      return { ok: false, reason: 'InvalidRequest', detail: 'RequireDualStack with requested addresses needs one address per family' };
    }
    let firstPool: string | undefined;
    for (const a of requested) {
      const pool = this.pools.find((p) => p.valid && p.addresses.contains(a));
      if (!pool) return { ok: false, reason: 'RequestedAddressUnavailable', detail: `${fmt(a)} is not in any valid pool` };
      if (req.pool && pool.name !== req.pool) return { ok: false, reason: 'RequestedAddressUnavailable', detail: `${fmt(a)} is in pool "${pool.name}", not in the requested pool "${req.pool}"` };
      const poolProblem = this.poolProblem(pool, req);
      if (poolProblem) return { ok: false, reason: 'RequestedAddressUnavailable', detail: poolProblem };
      const sharing = this.sharingProblem(a, req);
      if (sharing) return { ok: false, reason: 'SharingConflict', detail: sharing };
      firstPool ??= pool.name;
    }
    return { ok: true, addresses: [...requested], pool: firstPool as string };
  }

  private choosePool(req: AllocationRequest): { ok: true; addresses: IPAddress[]; pool: string } | { ok: false; reason: Exclude<AssignReason, 'Assigned'>; detail: string } {
    let candidates: Pool[];
    if (req.pool) {
      const pool = this.pools.find((p) => p.name === req.pool);
      if (!pool) return { ok: false, reason: 'NoMatchingPool', detail: `pool "${req.pool}" does not exist` };
      if (!pool.valid) return { ok: false, reason: 'NoMatchingPool', detail: `pool "${req.pool}" is not valid (see its Valid condition)` };
      const problem = this.poolProblem(pool, req);
      if (problem) return { ok: false, reason: 'NoMatchingPool', detail: problem };
      candidates = [pool];
    } else {
      const usable = this.pools.filter((p) => p.valid && p.autoAssign);
      if (usable.length === 0) return { ok: false, reason: 'NoMatchingPool', detail: this.pools.length === 0 ? 'there are no IPAddressPools' : 'no valid pool has autoAssign enabled' };
      const problems: string[] = [];
      const pinned: Pool[] = [];
      const open: Pool[] = [];
      for (const p of usable) {
        const problem = this.poolProblem(p, req);
        if (problem) problems.push(problem);
        else (p.serviceAllocation ? pinned : open).push(p);
      }
      // this.pools is sorted by (priority, name); filtering keeps that order within each group.
      candidates = [...pinned, ...open];
      if (candidates.length === 0) return { ok: false, reason: 'NoMatchingPool', detail: problems.join('; ') };
    }

    const plans: Family[][] =
      req.familyPolicy === 'PreferDualStack' && req.families.length > 1 ? [[...req.families], [req.families[0] as Family]] : [[...req.families]];
    const full: string[] = [];
    let anyFamilyMatch = false;
    for (const families of plans) {
      for (const pool of candidates) {
        const has = pool.addresses.families();
        if (!families.every((f) => has.includes(f))) continue;
        anyFamilyMatch = true;
        const picked: IPAddress[] = [];
        for (const f of families) {
          const a = this.pick(pool, f, req);
          if (!a) break;
          picked.push(a);
        }
        if (picked.length === families.length) return { ok: true, addresses: picked, pool: pool.name };
        full.push(pool.name);
      }
    }
    const wanted = req.families.map((f) => `IPv${f}`).join(' and ');
    if (!anyFamilyMatch) {
      return { ok: false, reason: 'FamilyUnavailable', detail: `no pool usable by this Service has ${wanted} addresses (pools: ${candidates.map((p) => p.name).join(', ')})` };
    }
    return { ok: false, reason: 'PoolExhausted', detail: `no free ${wanted} address in pool${full.length > 1 ? 's' : ''} ${[...new Set(full)].map((n) => `"${n}"`).join(', ')}` };
  }
}
