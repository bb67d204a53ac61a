import * as http from 'node:http';
import * as https from 'node:https';
import type * as k8s from '@kubernetes/client-node';

export interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** A failed list request, with the HTTP status as `statusCode` (as client-node's watch reports it). */
export class ListError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'ListError';
  }
}

/** One GET of `url` as JSON with the kubeconfig's credentials and TLS settings. */
async function getJson<T>(kc: k8s.KubeConfig, url: URL, timeoutMs: number): Promise<T> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { ...options, headers: { ...options.headers, Accept: 'application/json' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new ListError(res.statusCode ?? 0, `GET ${url.pathname} answered ${res.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text) as T);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Lists `path` page by page (limit/continue) as plain JSON: no typed model objects, and each page can be
 * projected and dropped before the next arrives, so listing 10,000 Services does not hold two or three
 * copies of them at once. Resolves with the kept items and the list's resourceVersion.
 */
export async function listInPages<T>(o: {
  kubeConfig: k8s.KubeConfig;
  path: string;
  pageSize: number;
  /** Applied to each item as its page arrives. */
  keep: (item: T) => T;
  timeoutMs?: number;
}): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
  const server = o.kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('No currently active cluster');
  const items: T[] = [];
  let token: string | undefined;
  let resourceVersion = '';
  do {
    const url = new URL(server + o.path);
    url.searchParams.set('limit', String(o.pageSize));
    if (token) url.searchParams.set('continue', token);
    const page = await getJson<ListPage<T>>(o.kubeConfig, url, o.timeoutMs ?? 60_000);
    for (const item of page.items ?? []) items.push(o.keep(item));
    token = page.metadata?.continue || undefined;
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
  } while (token);
  return { items, metadata: { resourceVersion } };
}
