import { Agent } from 'node:https';
import * as k8s from '@kubernetes/client-node';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];

/**
 * A KubeConfig whose API clients reuse their connections. client-node 1.x gives every API call a new
 * https.Agent (kubernetes-client/javascript#2893), so every write paid a fresh TCP and TLS handshake: on a
 * burst of 2,000 Services that was most of the controller's CPU and a good part of the API server's.
 * Calls share one keep-alive agent per distinct set of TLS options (a rotated client certificate gets a new
 * agent; the old one's idle sockets are closed). Watches are untouched: client-node adjusts every socket
 * of a watch's agent, so they keep an agent each, and a watch holds its connection anyway.
 */
export class KeepAliveKubeConfig extends k8s.KubeConfig {
  private shared: { key: string; agent: Agent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    // Plain-HTTP and proxy agents are not https.Agent; leave them as client-node built them.
    if (!(fresh instanceof Agent)) return;
    const o = fresh.options;
    const key = [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.servername, o.rejectUnauthorized].map((v) => String(v ?? '')).join('\0');
    if (this.shared?.key !== key) {
      const old = this.shared?.agent;
      this.shared = { key, agent: new Agent({ ...o, keepAlive: true }) };
      // Requests still running on the old agent finish; its idle sockets go now.
      if (old) for (const sockets of Object.values(old.freeSockets)) for (const s of sockets ?? []) s.destroy();
    }
    context.setAgent(this.shared.agent);
  }
}
