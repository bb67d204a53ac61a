/** What the integration tests get to know about the shared control plane (plain data, crosses workers). */
export interface ClusterInfo {
  server: string;
  apiPort: number;
  kubeconfigPath: string;
  binDir: string;
  dir: string;
  caCert: string;
  adminCert: string;
  adminKey: string;
  startMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}
