import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = (args: string[], cwd: string) => run('openssl', args, { cwd });

export interface ClusterCertificates {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
}

/**
 * A throwaway CA, a serving cert for loopback and for the `kubernetes` Service's ClusterIP (198.51.100.1, where
 * Pods on real nodes reach the API: test/install/pods.e2e.test.ts), a system:masters client cert and the SA
 * signing key.
 */
export async function makeCertificates(dir: string): Promise<ClusterCertificates> {
  const p = (f: string) => join(dir, f);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=herald-test-ca'], dir);
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:198.51.100.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  // Explicit serials: two concurrent -CAcreateserial runs race on the shared ca.srl file.
  const sign = async (name: string, subject: string, ext: string, serial: number) => {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(serial), '-days', '3650', '-out', `${name}.crt`, '-extfile', ext], dir);
  };
  await Promise.all([
    sign('server', '/CN=kube-apiserver', 'server.ext', 1001),
    sign('admin', '/O=system:masters/CN=herald-test-admin', 'client.ext', 1002),
    openssl(['genrsa', '-out', 'sa.key', '2048'], dir),
  ]);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    serviceAccountKey: p('sa.key'),
  };
}
