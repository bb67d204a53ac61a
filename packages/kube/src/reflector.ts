import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff, sleep } from './backoff.js';
import { listInPages } from './listInPages.js';

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export type ChangeType = 'added' | 'updated' | 'deleted';
export type ChangeHandler<T> = (type: ChangeType, object: T, previous: T | undefined) => void;

export interface ReflectorOptions<T> {
  /** Short name for logs and metrics ("services", "ipaddresspools"). */
  resource: string;
  /** Watch path, e.g. /api/v1/services. */
  path: string;
  /**
   * How to list; default: `path` itself in pages of `pageSize` as plain JSON (no typed model objects, each
   * page projected as it arrives: the lowest peak memory for large lists).
   */
  list?: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** Objects per page of the default list (default 500, as client-go's reflector). */
  pageSize?: number;
  kubeConfig: k8s.KubeConfig;
  log: Logger;
  onChange: ChangeHandler<T>;
  /** Restart a watch that delivered nothing (not even a bookmark) for this long. */
  inactivityMs?: number;
  onRestart?: (reason: 'gone' | 'error' | 'inactive' | 'closed') => void;
  /**
   * Keeps only what the owner reads (for example without metadata.managedFields, which is often the larger
   * half of an object): applied to every listed and watched object before it is stored and handed to
   * onChange. With 10,000 Services the cache is most of a controller's memory. Default: the object as is.
   */
  project?: (object: T) => T;
}

/** Drops metadata.managedFields (server-side apply bookkeeping no reader of herald's caches needs). */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  const metadata = object.metadata as (KubeObject['metadata'] & { managedFields?: unknown }) | undefined;
  if (!metadata?.managedFields) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...object, metadata: rest };
}

export const objectKey = (o: KubeObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? '');

/**
 * A list+watch cache that keeps going where client-node's informer stops: it relists on 410 Gone,
 * re-watches with backoff after any dropped connection, and restarts a watch that has gone quiet (a
 * silently dead TCP connection otherwise freezes the cache forever). Bookmarks keep quiet watches alive.
 */
export class Reflector<T extends KubeObject> {
  readonly store = new Map<string, T>();
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private current: AbortController | undefined;
  private firstSync: Promise<void>;
  private resolveFirstSync!: () => void;

  constructor(private readonly o: ReflectorOptions<T>) {
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
  }

  /** Resolves after the first complete list; the watch loop keeps running until stop(). */
  start(): Promise<void> {
    void this.loop();
    return this.firstSync;
  }

  stop(): void {
    this.abort.abort();
    this.current?.abort();
  }

  private async relist(): Promise<void> {
    const project = this.o.project ?? ((o: T) => o);
    // Typed list results carry Date objects; watch events carry wire JSON. Keep one shape in the cache.
    const list = this.o.list
      ? await this.o.list().then((l) => ({ items: (JSON.parse(JSON.stringify(l.items)) as T[]).map(project), metadata: l.metadata }))
      : await listInPages<T>({ kubeConfig: this.o.kubeConfig, path: this.o.path, pageSize: this.o.pageSize ?? 500, keep: project });
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = objectKey(item);
      seen.add(key);
      const previous = this.store.get(key);
      this.store.set(key, item);
      if (!previous) this.o.onChange('added', item, undefined);
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.o.onChange('updated', item, previous);
    }
    for (const [key, previous] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.o.onChange('deleted', previous, previous);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff();
    let needList = true;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          this.resolveFirstSync();
        }
        const outcome = await this.watchOnce();
        if (signal.aborted) return;
        if (outcome === 'gone') needList = true;
        if (outcome !== 'closed') this.o.onRestart?.(outcome);
        if (outcome === 'closed' || outcome === 'gone') {
          backoff.reset();
          continue;
        }
        await sleep(backoff.next(), signal);
      } catch (e) {
        if (signal.aborted) return;
        const wait = backoff.next();
        this.o.log.warn({ event: 'watchError', resource: this.o.resource, err: (e as Error).message, retryInMs: Math.round(wait) }, 'list/watch failed; retrying');
        this.o.onRestart?.('error');
        await sleep(wait, signal);
      }
    }
  }

  /** One watch from the current resourceVersion; resolves with why it ended. */
  private watchOnce(): Promise<'gone' | 'error' | 'inactive' | 'closed'> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const inactivity = this.o.inactivityMs ?? 120_000;
      const finish = (why: 'gone' | 'error' | 'inactive' | 'closed') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.current?.abort();
        resolve(why);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.o.log.warn({ event: 'watchInactive', resource: this.o.resource, afterMs: inactivity }, 'watch went quiet; restarting it');
          finish('inactive');
        }, inactivity);
      };
      arm();
      const handle = (type: string, raw: T & { code?: number }) => {
        arm();
        if (type === 'ERROR') {
          finish(raw.code === 410 ? 'gone' : 'error');
          return;
        }
        const rv = raw.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        const obj = this.o.project ? this.o.project(raw) : raw;
        const key = objectKey(obj);
        const previous = this.store.get(key);
        if (type === 'DELETED') {
          this.store.delete(key);
          this.o.onChange('deleted', obj, previous);
        } else {
          this.store.set(key, obj);
          this.o.onChange(previous ? 'updated' : 'added', obj, previous);
        }
      };
      new k8s.Watch(this.o.kubeConfig)
        .watch(
          this.o.path,
          { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: Math.max(60, Math.floor(inactivity / 1000) * 2) },
          (type, obj) => handle(type, obj as T & { code?: number }),
          (err: (Error & { statusCode?: number }) | null) => {
            if (!err || err.name === 'AbortError') return finish('closed');
            if (err.statusCode === 410) return finish('gone');
            if (!settled) {
              this.o.log.debug({ event: 'watchDropped', resource: this.o.resource, err: err.message }, 'watch connection dropped');
              finish('error');
            }
          },
        )
        .then((controller) => {
          this.current = controller;
          if (settled) controller.abort();
        })
        .catch((e) => {
          clearTimeout(timer);
          if (!settled) {
            settled = true;
            reject(e);
          }
        });
    });
  }
}
