import { Service } from './manifest';

/** What the hosts file needs to know about a pod. */
export interface HostsPod {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly hostname: string;
  readonly subdomain?: string;
}

export interface ServiceRef {
  readonly name: string;
  readonly namespace: string;
  readonly service: Service;
}

const LOCALHOST = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];

/** `name`, `name.ns`, `name.ns.svc` and `name.ns.svc.domain`, longest first. */
function dnsNames(name: string, namespace: string, domain: string): string[] {
  return [`${name}.${namespace}.svc.${domain}`, `${name}.${namespace}.svc`, `${name}.${namespace}`, name];
}

function selects(selector: Readonly<Record<string, string>> | undefined, pod: HostsPod): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => pod.labels[k] === v);
}

/**
 * The cluster's DNS as a hosts file, following CoreDNS's records:
 * - a headless Service (`clusterIP: None`) names the IPs of the pods it selects,
 *   only the ready ones unless `publishNotReadyAddresses`;
 * - such a Service also names each of those pods whose `subdomain` is the Service
 *   (StatefulSet pods, `<pod>.<service>...`);
 * - any other Service names ONE ready selected pod (the first by name): a stand-in
 *   for a ClusterIP that does no load balancing or port mapping.
 */
export function clusterHosts(pods: readonly HostsPod[], services: readonly ServiceRef[], domain: string): string[] {
  const lines = [...LOCALHOST];
  const byName = [...pods].sort((a, b) => a.name.localeCompare(b.name));
  for (const { name, namespace, service } of services) {
    const selected = byName.filter((p) => p.namespace === namespace && selects(service.spec?.selector, p));
    const names = dnsNames(name, namespace, domain).join(' ');
    if (service.spec?.clusterIP === 'None') {
      for (const pod of selected.filter((p) => p.ready || service.spec?.publishNotReadyAddresses)) {
        lines.push(`${pod.ip}\t${names}`);
        if (pod.subdomain === name) lines.push(`${pod.ip}\t${dnsNames(`${pod.hostname}.${name}`, namespace, domain).join(' ')}`);
      }
    } else {
      const pod = selected.find((p) => p.ready);
      if (pod) lines.push(`${pod.ip}\t${names}`);
    }
  }
  return lines;
}

/**
 * A pod's own `/etc/hosts`: the kubelet adds the pod's hostname and, with a
 * subdomain, its FQDN (here with the shorter forms search domains would complete).
 */
export function podHosts(cluster: readonly string[], pod: HostsPod, domain: string): string {
  const names = pod.subdomain ? dnsNames(`${pod.hostname}.${pod.subdomain}`, pod.namespace, domain) : [];
  const own = [...names, pod.hostname].join(' ');
  return [...LOCALHOST, `${pod.ip}\t${own}`, ...cluster.slice(LOCALHOST.length)].join('\n') + '\n';
}
