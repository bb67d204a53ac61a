import { readFileSync } from 'node:fs';

export interface KubeconfigOptions {
  server: string;
  caFile: string;
  /** Either a client certificate pair or a bearer token. */
  user: { certFile: string; keyFile: string } | { token: string };
  /** Name the serving cert is checked against when `server` is reached through another address. */
  tlsServerName?: string;
}

/** A self-contained kubeconfig (certificates inlined) so it can be handed to a process in a namespace. */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  const user =
    'token' in o.user
      ? { token: o.user.token }
      : { 'client-certificate-data': b64(o.user.certFile), 'client-key-data': b64(o.user.keyFile) };
  const cluster: Record<string, string> = { server: o.server, 'certificate-authority-data': b64(o.caFile) };
  if (o.tlsServerName) cluster['tls-server-name'] = o.tlsServerName;
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'herald-test', cluster }],
      users: [{ name: 'herald-test', user }],
      contexts: [{ name: 'herald-test', context: { cluster: 'herald-test', user: 'herald-test' } }],
      'current-context': 'herald-test',
    },
    null,
    2,
  );
}
