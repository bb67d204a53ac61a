import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../cliError.js';

export interface ConnectionOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Per call; a call that takes longer fails with a message naming the server and what was being done. */
  readonly requestTimeoutMs: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']);

function statusMessage(body: unknown): string | undefined {
  try {
    const o = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof o?.message === 'string' ? o.message : undefined;
  } catch {
    return typeof body === 'string' && body ? body : undefined;
  }
}

function networkCode(e: unknown): string | undefined {
  for (let x = e as { code?: unknown; cause?: unknown } | undefined, i = 0; x && i < 4; x = x.cause as typeof x, i++) {
    if (typeof x.code === 'string' && NETWORK_CODES.has(x.code)) return x.code;
  }
  return undefined;
}

/**
 * The API server as kubectl would reach it (KUBECONFIG, --kubeconfig, --context), with every call bounded
 * by a timeout and every failure turned into one sentence: unreachable, timed out, unauthorised, or
 * forbidden by RBAC (with the verb and resource to grant).
 */
export class ClusterConnection {
  readonly kc: k8s.KubeConfig;
  readonly server: string;
  readonly user: string;

  constructor(private readonly options: ConnectionOptions) {
    const kc = new k8s.KubeConfig();
    try {
      // Like kubectl: --kubeconfig, else $KUBECONFIG (client-node reads it), else ~/.kube/config, else in-cluster.
      if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
      else kc.loadFromDefault();
      if (options.context) {
        if (!kc.getContextObject(options.context)) throw new Error(`context "${options.context}" is not in the kubeconfig`);
        kc.setCurrentContext(options.context);
      }
    } catch (e) {
      throw new CliError(`cannot load the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(e as Error).message}`);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new CliError('the kubeconfig has no current cluster: pass --kubeconfig or --context');
    this.kc = kc;
    this.server = cluster.server;
    this.user = kc.getCurrentUser()?.name ?? 'the current user';
  }

  /**
   * Runs one API call. `what` reads as "list metallb.io ipaddresspools in metallb-system" and names the verb
   * and resource a forbidden error must grant. 404 is returned as `undefined` when `notFoundOk`.
   */
  async call<T>(what: string, fn: () => Promise<T>, o: { notFoundOk?: boolean } = {}): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CliError(`the API server ${this.server} did not answer within ${this.options.requestTimeoutMs} ms (--request-timeout) to: ${what}`)), this.options.requestTimeoutMs);
    });
    // 429 and 503 say "try again" (priority and fairness, storage still initialising right after a CRD is
    // created); like client-go, retry them with backoff, within the same timeout.
    const attempt = async (): Promise<T> => {
      for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2_000)) {
        try {
          return await fn();
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (code !== 429 && code !== 503) throw e;
          await sleep(delayMs);
        }
      }
    };
    try {
      return await Promise.race([attempt(), timeout]);
    } catch (e) {
      if (e instanceof CliError) throw e;
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'number') {
        const message = statusMessage((e as { body?: unknown }).body);
        if (code === 404 && o.notFoundOk) return undefined;
        if (code === 401) throw new CliError(`the API server ${this.server} did not accept the credentials of ${this.user} (401 Unauthorized) to: ${what}`);
        if (code === 403) throw new CliError(`forbidden by RBAC (kubeconfig user ${this.user}) to: ${what}${message ? `: ${message}` : ''}. Ask for a Role or ClusterRole that grants it.`);
        throw new CliError(`the API server refused to ${what}: ${code}${message ? ` ${message}` : ''}`);
      }
      const net = networkCode(e);
      if (net) throw new CliError(`cannot reach the API server ${this.server} (${net}) to: ${what}`);
      throw new CliError(`cannot ${what} on ${this.server}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
