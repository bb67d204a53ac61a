import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { GROUP, VERSION } from '@herald/core';
import type { ElectionFacts } from '../../packages/speaker/src/election/electionFacts.js';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig } from '../cluster/kube.js';

/** One namespace, one loadBalancerClass and one LBAddress name of its own, for a test of the speaker's ElectionFacts. */
export interface ElectionFactsScene {
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly discovery: k8s.DiscoveryV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly ns: string;
  readonly lbClass: string;
  readonly address: string;
  /** The LBAddress's name: the address with ':' as '-'. */
  readonly lbName: string;
  /** Set by the test once started; stopped after the suite. */
  facts: ElectionFacts | undefined;
}

/**
 * Registers the suite's set-up (CRDs, the namespace) and clean-up (the facts stopped, the LBAddress and
 * namespace deleted). `name` tags the namespace and class; `hextet` picks a 2001:db8:<hextet>::/48 no
 * other suite uses.
 */
export function electionFactsScene(name: string, hextet: string): ElectionFactsScene {
  const kc = adminKubeConfig();
  const tag = Math.random().toString(36).slice(2, 7);
  const address = `2001:db8:${hextet}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;
  const scene: ElectionFactsScene = {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    discovery: kc.makeApiClient(k8s.DiscoveryV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    ns: `${name}-${tag}`,
    lbClass: `herald.dev/${name}-${tag}`,
    address,
    lbName: address.replaceAll(':', '-'),
    facts: undefined,
  };
  beforeAll(async () => {
    await applyCrds();
    await scene.core.createNamespace({ body: { metadata: { name: scene.ns } } });
  });
  afterAll(async () => {
    scene.facts?.stop();
    await scene.custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'lbaddresses', name: scene.lbName }).catch(() => undefined);
    await scene.core.deleteNamespace({ name: scene.ns }).catch(() => undefined);
  });
  return scene;
}
