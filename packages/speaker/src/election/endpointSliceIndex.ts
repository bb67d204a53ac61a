import type * as k8s from '@kubernetes/client-node';

const SERVICE_LABEL = 'kubernetes.io/service-name';
type Slice = k8s.V1EndpointSlice;

const serviceOf = (s: Slice | undefined): string | undefined => {
  const name = s?.metadata?.labels?.[SERVICE_LABEL];
  return s && name ? `${s.metadata?.namespace}/${name}` : undefined;
};

/**
 * EndpointSlices by the Service they belong to (label kubernetes.io/service-name), kept in step with the
 * reflector's changes, so the election reads one Service's slices without scanning them all.
 */
export class EndpointSliceIndex {
  private readonly byService = new Map<string, Map<string, Slice>>();

  /** Applies one reflector change; returns the Services ("namespace/name") whose slices changed. */
  update(type: 'added' | 'updated' | 'deleted', obj: Slice, previous: Slice | undefined): string[] {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const before = serviceOf(previous);
    const after = type === 'deleted' ? undefined : serviceOf(obj);
    if (before) {
      const m = this.byService.get(before);
      m?.delete(key);
      if (m?.size === 0) this.byService.delete(before);
    }
    if (after) {
      let m = this.byService.get(after);
      if (!m) this.byService.set(after, (m = new Map()));
      m.set(key, obj);
    }
    return [...new Set([before, after].filter((s): s is string => s !== undefined))];
  }

  slicesOf(service: string): Iterable<Slice> {
    return this.byService.get(service)?.values() ?? [];
  }
}
