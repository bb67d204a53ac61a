/**
 * The address an HTTP endpoint listens on when its flag is not given: the pod IP when the Pod spec passes it
 * ($POD_IP), else loopback. Never every interface: the speaker runs on the host network, where ":port" would
 * open the endpoint on the announce LAN as well.
 */
export function defaultListenAddress(o: { env: NodeJS.ProcessEnv; port: number }): string {
  const podIp = o.env.POD_IP?.trim();
  return `${podIp || '127.0.0.1'}:${o.port}`;
}

/** Checks HOST:PORT (host may be empty for every interface, or an IPv6 address, bracketed or not). */
export function checkListenAddress(o: { flag: string; address: string }): string {
  const i = o.address.lastIndexOf(':');
  const port = Number(o.address.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--${o.flag} must be HOST:PORT (e.g. 127.0.0.1:7472, or :7472 for every interface), not "${o.address}"`);
  }
  return o.address;
}
