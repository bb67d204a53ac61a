/** The cut-over of docs/migrating-from-metallb.md, as commands, adapted to what migrate found and did. */
export function cutoverSteps(o: { applied: boolean; namespace: string; annotationUses: number; atRisk: number }): string[] {
  const lb = "kubectl get svc -A --field-selector spec.type=LoadBalancer -o custom-columns='NS:.metadata.namespace,NAME:.metadata.name,IP:.status.loadBalancer.ingress[*].ip'";
  return [
    ...(o.atRisk > 0 ? [`Resolve the Services listed as atRisk first: herald's controller would release those addresses.`] : []),
    `Record the current addresses: ${lb} > before.txt`,
    o.applied
      ? 'herald\'s pools and L2Advertisements are written (done by this run). Check: kubectl get ipaddresspools.herald.dev (every pool VALID True)'
      : 'Install herald\'s CRDs (kubectl apply --server-side -f charts/herald/crds/), then write the pools before herald\'s controller starts: kubectl herald migrate --apply',
    `Stop MetalLB's controller so only one controller writes Service status: kubectl -n ${o.namespace} scale deployment controller --replicas=0 (Helm: metallb-controller)`,
    'Install herald, leaving addressPools and configInline empty: helm install herald charts/herald -n herald-system --create-namespace (if MetalLB\'s speaker uses ports 7472/7473: --set speaker.metricsPort=7482 --set speaker.healthPort=7483)',
    `Check nothing moved: ${lb} | diff before.txt -   and   kubectl get lbaddresses (every address has a NODE)`,
    `Remove MetalLB's speaker: kubectl -n ${o.namespace} delete daemonset speaker (Helm: metallb-speaker)`,
    'Uninstall MetalLB (helm uninstall metallb -n metallb-system, or kubectl delete -f its manifest); herald\'s objects are in another API group and stay.',
    o.annotationUses > 0
      ? `Optional: ${o.annotationUses} Service annotation(s) use MetalLB keys, which herald honours. Add the herald.dev keys with kubectl herald migrate --apply --annotate (MetalLB's keys stay until you remove them).`
      : 'No Service uses MetalLB annotations.',
  ];
}
