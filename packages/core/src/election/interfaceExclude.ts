/**
 * Links a speaker never announces on, whatever their state: the host ends of pod veths and the bridges,
 * tunnels and dummies CNIs and container runtimes create. MetalLB's default `metallb-excludel2` list
 * (docker, cbr, dummy, virbr, lxcbr, veth, lo, cali, tunl, flannel, kube-ipvs, cni, nodelocaldns, lxc)
 * plus Cilium's and VXLAN devices. A node with hundreds of pods has hundreds of these, and each pod start
 * or stop adds or removes one: none of them may reach the heartbeat or the node Lease.
 */
export const DEFAULT_INTERFACE_EXCLUDES: readonly string[] = Object.freeze([
  'docker*', 'cbr*', 'dummy*', 'virbr*', 'lxcbr*', 'veth*', 'lo', 'cali*', 'tunl*', 'flannel*', 'kube-ipvs*', 'cni*',
  'nodelocaldns', 'lxc*', 'cilium*', 'vxlan*',
]);

/** A glob over a link name: `*` any run of characters, `?` one character; everything else literal. */
export type InterfacePattern = string;

const compiled = new Map<string, RegExp>();
function regex(pattern: InterfacePattern): RegExp {
  let r = compiled.get(pattern);
  if (!r) {
    const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()[\]{}|]/g, '\\$&'))).join('');
    r = new RegExp(`^${body}$`);
    compiled.set(pattern, r);
  }
  return r;
}

/** The first pattern that matches `name`, or undefined: the pattern is what a log line names. */
export function excludedBy(name: string, patterns: readonly InterfacePattern[]): InterfacePattern | undefined {
  return patterns.find((p) => regex(p).test(name));
}

/**
 * Reads `--exclude-interfaces` / the chart's `speaker.excludeInterfaces`: comma-separated globs, empty
 * for none. Throws naming the bad entry: a pattern a link name can never match is a typo.
 */
export function parseInterfacePatterns(text: string): InterfacePattern[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw) => {
    const p = raw.trim();
    if (!/^[\x21-\x2e\x30-\x7e]{1,64}$/.test(p)) {
      throw new Error(`Cannot use interface exclude pattern ${JSON.stringify(raw)}: a pattern is 1-64 printable characters without '/' or spaces (globs: * and ?)`);
    }
    return p;
  });
}
