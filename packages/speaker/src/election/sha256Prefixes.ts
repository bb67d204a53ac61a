import { hash } from 'node:crypto';
import { sha256Prefixes } from '../native/index.js';

/** RankCache's batch hasher: the first 48 bits of sha256(node + suffix) for every node (core rankCache.ts). */
export type Sha256Prefixes = (nodes: readonly string[], suffix: string) => Float64Array;

/**
 * The batch in the speaker's addon (OpenSSL's SHA-256 from the Node binary, one call per address): at 5,000
 * nodes × 10,000 addresses the first election hashes 50 million pairs. The node array is encoded once
 * (RankCache passes the same array until its node set changes) and the result buffer is reused: read it
 * before the next call.
 */
export function nativeSha256Prefixes(native: typeof sha256Prefixes = sha256Prefixes): Sha256Prefixes {
  const encoded = new WeakMap<readonly string[], { names: Uint8Array; ends: Uint32Array; out: Float64Array }>();
  return (nodes, suffix) => {
    let e = encoded.get(nodes);
    if (!e) {
      const parts = nodes.map((n) => Buffer.from(n, 'utf8'));
      const ends = new Uint32Array(parts.length);
      let end = 0;
      parts.forEach((p, i) => (ends[i] = end += p.length));
      e = { names: Buffer.concat(parts), ends, out: new Float64Array(parts.length) };
      encoded.set(nodes, e);
    }
    native(e.names, e.ends, Buffer.from(suffix, 'utf8'), e.out);
    return e.out;
  };
}

/**
 * The same with node:crypto, one digest per node: crypto.hash to a latin1 string (one char per byte) is the
 * cheapest result node:crypto has (no Buffer per digest). For comparison in benchmarks and tests.
 */
export function cryptoSha256Prefixes(): Sha256Prefixes {
  let out = new Float64Array(0);
  return (nodes, suffix) => {
    if (out.length !== nodes.length) out = new Float64Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      // Node accepts every Buffer encoding here; its types list only hex, base64 and base64url.
      const d = hash('sha256', `${nodes[i]}${suffix}`, 'latin1' as 'hex');
      out[i] = d.charCodeAt(0) * 2 ** 40 + d.charCodeAt(1) * 2 ** 32 + d.charCodeAt(2) * 2 ** 24 + d.charCodeAt(3) * 2 ** 16 + d.charCodeAt(4) * 2 ** 8 + d.charCodeAt(5);
    }
    return out;
  };
}
