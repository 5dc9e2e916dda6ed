import { Chart, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { validateLabels } from './labels';

/** The label Kubernetes puts on every namespace, with the namespace's name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const COMPONENT_LABEL = 'app.kubernetes.io/component';
/**
 * A source (ingress) or destination (egress) of traffic in a NetworkPolicy rule.
 *
 * Namespaces: a peer without namespaces means the cluster's own namespace, as in Kubernetes.
 */
export class NetworkPeer {
  /**
   * Pods picked by a selector: `Pods.select(...)` (its namespaces, or the cluster's namespace
   * without), or a workload such as a Deployment (its pods, in its namespace). A workload of another
   * chart must have a known namespace: without one the rule could not name it.
   */
  public static pods(selector: kplus.IPodSelector): NetworkPeer {
    return new NetworkPeer('pods', { selector });
  }

  /**
   * All pods of the namespaces picked by a selector: `Namespaces.select(...)`, `Namespaces.all()`,
   * or a `Namespace`.
   */
  public static namespaces(selector: kplus.INamespaceSelector): NetworkPeer {
    return new NetworkPeer('namespaces', { namespaces: selector });
  }

  /**
   * Pods with all of `podLabels` (an empty map: every pod), in the namespaces with all of
   * `namespaceLabels` (an empty map: every namespace).
   * @param podLabels labels the pods must have
   * @param namespaceLabels labels their namespace must have; without it, the cluster's namespace
   */
  public static labels(podLabels: { [key: string]: string }, namespaceLabels?: { [key: string]: string }): NetworkPeer {
    return new NetworkPeer('labels', { podLabels, namespaceLabels });
  }

  /** Every pod of the cluster's namespace. */
  public static sameNamespace(): NetworkPeer {
    return new NetworkPeer('sameNamespace', {});
  }

  /** Every pod of every namespace (not addresses outside the Kubernetes cluster). */
  public static anyPod(): NetworkPeer {
    return new NetworkPeer('anyPod', {});
  }

  /**
   * Addresses in a CIDR range, e.g. `10.0.0.0/8` or `2001:db8::/32`, for traffic from or to
   * outside the Kubernetes cluster (whether a CNI matches pod addresses by range varies).
   * @param cidr the range
   * @param exclude ranges within `cidr` to leave out (the ipBlock's `except`)
   */
  public static ipBlock(cidr: string, exclude?: string[]): NetworkPeer {
    return new NetworkPeer('ipBlock', { cidr, except: exclude });
  }

  /** Any source or destination: pods, nodes and addresses outside the Kubernetes cluster. */
  public static anywhere(): NetworkPeer {
    return new NetworkPeer('anywhere', {});
  }

  private constructor(
    private readonly kind: 'pods' | 'namespaces' | 'labels' | 'sameNamespace' | 'anyPod' | 'ipBlock' | 'anywhere',
    private readonly spec: {
      readonly selector?: kplus.IPodSelector;
      readonly namespaces?: kplus.INamespaceSelector;
      readonly podLabels?: { [key: string]: string };
      readonly namespaceLabels?: { [key: string]: string };
      readonly cidr?: string;
      readonly except?: string[];
    }) {}

  /**
   * The peer as NetworkPolicy peers of `cluster`'s policy; `undefined` for "anywhere".
   * @internal
   */
  public _toKube(cluster: EtcdCluster, prop: string): k8s.NetworkPolicyPeer[] | undefined {
    const s = this.spec;
    switch (this.kind) {
      case 'pods':
        return selectorPeers(resolvePodSelector(cluster, prop, s.selector!));
      case 'namespaces': {
        const config = s.namespaces!.toNamespaceSelectorConfig();
        const byLabels = config.labelSelector?._toKube() ?? {};
        if (config.names?.length) {
          return config.names.map(name => ({ namespaceSelector: withNamespaceName(byLabels, name) }));
        }
        return [{ namespaceSelector: byLabels }];
      }
      case 'labels':
        validateLabels(cluster, prop, s.podLabels!);
        validateLabels(cluster, prop, s.namespaceLabels ?? {});
        return [{
          podSelector: { matchLabels: nonEmpty(s.podLabels!) },
          namespaceSelector: s.namespaceLabels ? { matchLabels: nonEmpty(s.namespaceLabels) } : undefined,
        }];
      case 'sameNamespace':
        return [{ podSelector: {} }];
      case 'anyPod':
        return [{ namespaceSelector: {} }];
      case 'ipBlock':
        return [{ ipBlock: ipBlock(cluster, prop, s.cidr!, s.except) }];
      case 'anywhere':
        return undefined;
    }
  }
}

/**
 * A NetworkPolicy rule: traffic from (ingress) or to (egress) `peers` on `ports`.
 */
export interface EtcdNetworkPolicyRule {
  /**
   * Sources (ingress) or destinations (egress).
   * @default - any source or destination
   */
  readonly peers?: NetworkPeer[];
  /**
   * Ports (of the members for ingress, of the destination for egress), e.g. `NetworkPolicyPort.tcp(8080)`.
   * @default - every port
   */
  readonly ports?: kplus.NetworkPolicyPort[];
}

/**
 * Who may talk to the members. The policy selects the members only (not the cluster's Jobs):
 *
 * - peer port: from the members only;
 * - client port: from the cluster's namespace (default), from any source (`allowExternal`), or only
 *   from the cluster's own pods and what is allowed (`allowSameNamespace: false`, `clientPeers`,
 *   `clientNamespaceLabels`, `allowClient(...)`);
 * - metrics port (plain HTTP `/metrics`, `/health`, `/readyz`, `/livez`): from `scrapers`. The
 *   kubelet's probes come from the node, which NetworkPolicy never blocks;
 * - egress: open (default), or DNS and the members only, plus `extraEgress`.
 */
export interface EtcdNetworkPolicyOptions {
  /**
   * Render a NetworkPolicy.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Open the client port to any source: pods of every namespace and addresses outside the
   * Kubernetes cluster (the Bitnami chart's default). The peer port stays members-only.
   * @default false
   */
  readonly allowExternal?: boolean;
  /**
   * Open the client port to every pod of the cluster's namespace. Without it, only the cluster's
   * own pods (members and Jobs) and the peers allowed explicitly reach the client port.
   * @default true
   */
  readonly allowSameNamespace?: boolean;
  /**
   * More sources for the client port.
   * @default - none
   */
  readonly clientPeers?: NetworkPeer[];
  /**
   * Open the client port to the namespaces with these labels (the chart's `ingressNSMatchLabels`).
   * @default - none
   */
  readonly clientNamespaceLabels?: { [key: string]: string };
  /**
   * Within `clientNamespaceLabels`, only the pods with these labels (the chart's
   * `ingressNSPodMatchLabels`).
   * @default - every pod of those namespaces
   */
  readonly clientNamespacePodLabels?: { [key: string]: string };
  /**
   * Who may reach the metrics port. An empty list closes it to pods (probes keep working).
   * @default [NetworkPeer.anyPod()] - any pod in any namespace
   */
  readonly scrapers?: NetworkPeer[];
  /**
   * Let the members connect anywhere. Without it, they reach DNS (port 53, UDP and TCP) and each
   * other's client and peer ports only, plus `extraEgress`.
   * @default true
   */
  readonly allowExternalEgress?: boolean;
  /**
   * More ingress rules.
   * @default - none
   */
  readonly extraIngress?: EtcdNetworkPolicyRule[];
  /**
   * More egress rules; they need `allowExternalEgress: false` (egress is open otherwise).
   * @default - none
   */
  readonly extraEgress?: EtcdNetworkPolicyRule[];
}

/** A rule with its peers resolved, usable as ingress (`from`) or egress (`to`). */
interface ResolvedRule {
  readonly ports?: k8s.NetworkPolicyPort[];
  readonly from?: k8s.NetworkPolicyPeer[];
  readonly to?: k8s.NetworkPolicyPeer[];
}

/**
 * The members' NetworkPolicy. Created by `EtcdCluster` from its `networkPolicy` prop. Rules added
 * after construction (`allowClient`, `addIngressRule`, ...) are rendered too.
 */
export class EtcdNetworkPolicy extends Construct {
  /** Whether a NetworkPolicy is rendered. */
  public readonly enabled: boolean;
  /** The NetworkPolicy, when enabled. */
  public readonly policy?: k8s.KubeNetworkPolicy;
  /** Whether the client port is open to any source. */
  public readonly allowExternal: boolean;
  /** Whether the client port is open to every pod of the cluster's namespace (also with `allowExternal`). */
  public readonly allowSameNamespace: boolean;
  /** Whether the members may connect anywhere. */
  public readonly allowExternalEgress: boolean;

  private readonly cluster: EtcdCluster;
  /** Sources of the client port; `undefined` once "anywhere" is among them. */
  private clientPeers: k8s.NetworkPolicyPeer[] | undefined = [];
  private readonly scrapers: k8s.NetworkPolicyPeer[] | undefined;
  private readonly extraIngress: ResolvedRule[] = [];
  private readonly extraEgress: ResolvedRule[] = [];

  constructor(cluster: EtcdCluster, id: string, options: EtcdNetworkPolicyOptions = {}) {
    super(cluster, id);
    this.cluster = cluster;
    const o = options;
    this.enabled = o.enabled ?? true;
    if (!this.enabled) {
      for (const [prop, value] of Object.entries(o)) {
        if (prop !== 'enabled' && value !== undefined) {
          invalid(cluster, `networkPolicy.${prop}`, 'has no effect without a NetworkPolicy; remove it or set `networkPolicy.enabled`');
        }
      }
    }
    this.allowExternal = o.allowExternal ?? false;
    this.allowExternalEgress = o.allowExternalEgress ?? true;
    if (this.allowExternal) {
      for (const prop of ['allowSameNamespace', 'clientPeers', 'clientNamespaceLabels', 'clientNamespacePodLabels'] as const) {
        if (o[prop] !== undefined) {
          invalid(cluster, `networkPolicy.${prop}`, 'has no effect with `networkPolicy.allowExternal`, which opens the client port to any source; remove one of them');
        }
      }
    }
    this.allowSameNamespace = this.allowExternal || (o.allowSameNamespace ?? true);
    if (o.clientNamespacePodLabels && !o.clientNamespaceLabels) {
      invalid(cluster, 'networkPolicy.clientNamespacePodLabels', 'needs `networkPolicy.clientNamespaceLabels` (the namespaces these pods are in); '
        + 'for pods of the cluster\'s namespace use `clientPeers: [NetworkPeer.labels(...)]`');
    }
    if (o.extraEgress && this.allowExternalEgress) {
      invalid(cluster, 'networkPolicy.extraEgress', 'has no effect while egress is open; set `networkPolicy.allowExternalEgress` to false or remove it');
    }

    if (this.allowExternal) {
      this.clientPeers = undefined;
    } else {
      // Every pod of the namespace includes the cluster's own pods; without it, the own pods need their own peer.
      this.addClientPeers(this.allowSameNamespace ? [{ podSelector: {} }] : [{ podSelector: { matchLabels: this.ownPods() } }]);
    }
    if (o.clientNamespaceLabels) {
      validateLabels(cluster, 'networkPolicy.clientNamespaceLabels', o.clientNamespaceLabels);
      validateLabels(cluster, 'networkPolicy.clientNamespacePodLabels', o.clientNamespacePodLabels ?? {});
      this.addClientPeers([{
        namespaceSelector: { matchLabels: nonEmpty(o.clientNamespaceLabels) },
        podSelector: o.clientNamespacePodLabels ? { matchLabels: nonEmpty(o.clientNamespacePodLabels) } : undefined,
      }]);
    }
    (o.clientPeers ?? []).forEach((p, i) => this.addClientPeers(p._toKube(cluster, `networkPolicy.clientPeers[${i}]`)));
    this.scrapers = this.peers('networkPolicy.scrapers', o.scrapers ?? [NetworkPeer.anyPod()], true);
    (o.extraIngress ?? []).forEach((r, i) => this.extraIngress.push(this.rule(`networkPolicy.extraIngress[${i}]`, r)));
    (o.extraEgress ?? []).forEach((r, i) => this.extraEgress.push(this.rule(`networkPolicy.extraEgress[${i}]`, r)));

    if (this.enabled) {
      this.policy = new k8s.KubeNetworkPolicy(this, 'Resource', {
        metadata: cluster._metadata(cluster._facts.name, 'etcd'),
        spec: Lazy.any({ produce: () => this.renderSpec() }),
      });
    }
  }

  /**
   * Opens the client port to the pods of `selector`: a workload (e.g. a Deployment, in its
   * namespace) or `Pods.select(...)` (its namespaces, or the cluster's namespace without). A
   * workload of another chart must have a known namespace. Without a NetworkPolicy, every source
   * may connect already and this only checks the selector.
   */
  public allowClient(selector: kplus.IPodSelector): void {
    this.addClient(NetworkPeer.pods(selector), 'allowClient');
  }

  /**
   * Opens the client port to the pods with `podLabels`, in the namespaces with `namespaceLabels`
   * (without them: the cluster's namespace; an empty map: every namespace).
   */
  public allowClientLabels(podLabels: { [key: string]: string }, namespaceLabels?: { [key: string]: string }): void {
    this.addClient(NetworkPeer.labels(podLabels, namespaceLabels), 'allowClientLabels');
  }

  /**
   * Opens the client port to `peer`.
   */
  public allowClientFrom(peer: NetworkPeer): void {
    this.addClient(peer, 'allowClientFrom');
  }

  /**
   * Adds an ingress rule (to any port of the members unless `ports` says otherwise).
   */
  public addIngressRule(rule: EtcdNetworkPolicyRule): void {
    this.extraIngress.push(this.rule('addIngressRule', rule));
  }

  /**
   * Adds an egress rule. Needs `allowExternalEgress: false` (egress is open otherwise).
   */
  public addEgressRule(rule: EtcdNetworkPolicyRule): void {
    if (this.enabled && this.allowExternalEgress) {
      invalid(this.cluster, 'addEgressRule', 'has no effect while egress is open; set `networkPolicy.allowExternalEgress` to false');
    }
    this.extraEgress.push(this.rule('addEgressRule', rule));
  }

  /** Resolves `peer` (checking it even without a policy) and adds it to the client port's sources. */
  private addClient(peer: NetworkPeer, prop: string): void {
    this.addClientPeers(peer._toKube(this.cluster, prop));
  }

  /** Labels of every pod of this cluster: members and its Jobs. */
  private ownPods(): { [key: string]: string } {
    return Object.fromEntries(Object.entries(this.cluster._facts.selector).filter(([k]) => k !== COMPONENT_LABEL));
  }

  private members(): k8s.NetworkPolicyPeer {
    return { podSelector: { matchLabels: { ...this.cluster._facts.selector } } };
  }

  private addClientPeers(peers: k8s.NetworkPolicyPeer[] | undefined): void {
    this.clientPeers = this.clientPeers && peers ? dedupe([...this.clientPeers, ...peers]) : undefined;
  }

  /** Resolves peers; `undefined` when one of them is "anywhere". */
  private peers(prop: string, peers: NetworkPeer[], allowEmpty: boolean): k8s.NetworkPolicyPeer[] | undefined {
    if (!allowEmpty && peers.length === 0) {
      invalid(this.cluster, prop, 'must list at least one peer; leave it out for any source or destination');
    }
    const resolved = peers.map((p, i) => p._toKube(this.cluster, `${prop}[${i}]`));
    return resolved.some(r => r === undefined) ? undefined : dedupe(resolved.flatMap(r => r!));
  }

  private rule(prop: string, rule: EtcdNetworkPolicyRule): ResolvedRule {
    const peers = rule.peers === undefined ? undefined : this.peers(`${prop}.peers`, rule.peers, false);
    const ports = rule.ports?.map(p => p._toKube());
    if (rule.ports !== undefined && rule.ports.length === 0) {
      invalid(this.cluster, `${prop}.ports`, 'must list at least one port; leave it out for every port');
    }
    return { ports, from: peers, to: peers };
  }

  private port(port: number, protocol = 'TCP'): k8s.NetworkPolicyPort {
    return { port: k8s.IntOrString.fromNumber(port), protocol };
  }

  private renderSpec(): k8s.NetworkPolicySpec {
    const f = this.cluster._facts;
    const ingress: k8s.NetworkPolicyIngressRule[] = [
      { ports: [this.port(f.peerPort)], from: [this.members()] },
      { ports: [this.port(f.clientPort)], from: this.clientPeers },
    ];
    if (this.scrapers === undefined || this.scrapers.length) {
      // A monitor may scrape the client port instead (cluster.metrics.scrapePort): scrapers may reach that one too.
      const scrapePorts = [...new Set([f.metricsPort, this.cluster.metrics.scrapePort])];
      ingress.push({ ports: scrapePorts.map(p => this.port(p)), from: this.scrapers });
    }
    ingress.push(...this.extraIngress.map(r => ({ ports: r.ports, from: r.from })));
    const egress: k8s.NetworkPolicyEgressRule[] = this.allowExternalEgress ? [{}] : [
      { ports: [this.port(53, 'UDP'), this.port(53, 'TCP')] },
      { ports: [this.port(f.clientPort), this.port(f.peerPort)], to: [this.members()] },
      ...this.extraEgress.map(r => ({ ports: r.ports, to: r.to })),
    ];
    return {
      podSelector: { matchLabels: { ...f.selector } },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    };
  }
}

/**
 * A pod selector resolved against a cluster: the pods' labels and where they are. Without
 * `namespaces` and `namespaceSelector` the pods are in the cluster's namespace.
 */
export interface ResolvedPodSelector {
  readonly podSelector: k8s.LabelSelector;
  readonly namespaces?: string[];
  readonly namespaceSelector?: k8s.LabelSelector;
}

/**
 * Resolves a cdk8s-plus pod selector for a rule or term of `cluster`'s pods. A workload (a
 * resource) that has no namespace and lives in another chart than the cluster is refused: a rule
 * without a namespace would silently mean the cluster's namespace.
 */
export function resolvePodSelector(cluster: EtcdCluster, prop: string, selector: kplus.IPodSelector): ResolvedPodSelector {
  const config = selector.toPodSelectorConfig();
  const podSelector = config.labelSelector._toKube();
  const ns = config.namespaces;
  const own = cluster._facts.namespace;
  if (!ns) {
    if (selector instanceof kplus.Resource && Chart.of(selector) !== Chart.of(cluster)) {
      const where = own ? `this cluster's namespace "${own}"` : 'this cluster\'s namespace';
      invalid(cluster, prop, `got ${selector.kind} "${selector.node.path}" of chart "${Chart.of(selector).node.path}", which has no namespace. `
        + `A rule for it cannot be written: without a namespace it would only match pods in ${where}. `
        + 'Give that chart (or the workload) a namespace, or select its pods by labels on purpose (`allowClientLabels`, `NetworkPeer.labels`)');
    }
    return { podSelector };
  }
  const byLabels = ns.labelSelector && !ns.labelSelector.isEmpty() ? ns.labelSelector._toKube() : undefined;
  if (ns.names?.length) {
    if (!byLabels && ns.names.length === 1 && ns.names[0] === own) {
      return { podSelector };
    }
    return { podSelector, namespaces: [...ns.names], namespaceSelector: byLabels };
  }
  return ns.labelSelector ? { podSelector, namespaceSelector: byLabels ?? {} } : { podSelector };
}

/** NetworkPolicy peers for a resolved selector: one per namespace name (name AND labels). */
function selectorPeers(r: ResolvedPodSelector): k8s.NetworkPolicyPeer[] {
  if (r.namespaces) {
    return r.namespaces.map(name => ({ podSelector: r.podSelector, namespaceSelector: withNamespaceName(r.namespaceSelector ?? {}, name) }));
  }
  return [{ podSelector: r.podSelector, namespaceSelector: r.namespaceSelector }];
}

function withNamespaceName(selector: k8s.LabelSelector, name: string): k8s.LabelSelector {
  return { matchExpressions: selector.matchExpressions, matchLabels: { ...selector.matchLabels, [NAMESPACE_NAME_LABEL]: name } };
}

function nonEmpty(labels: { [key: string]: string }): { [key: string]: string } | undefined {
  return Object.keys(labels).length ? { ...labels } : undefined;
}

function dedupe(peers: k8s.NetworkPolicyPeer[]): k8s.NetworkPolicyPeer[] {
  const seen = new Set<string>();
  return peers.filter(p => {
    const key = JSON.stringify(p);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** An address range as a number and prefix length. */
interface Cidr {
  readonly v6: boolean;
  readonly address: bigint;
  readonly prefix: number;
}

function parseIp(ip: string): { v6: boolean; address: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const octets = ip.split('.').map(Number);
    return octets.every(o => o <= 255) ? { v6: false, address: octets.reduce((a, o) => a * 256n + BigInt(o), 0n) } : undefined;
  }
  if (!/^[0-9a-fA-F:]+$/.test(ip) || ip.split('::').length > 2) {
    return undefined;
  }
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1) || [...h, ...t].some(g => g.length < 1 || g.length > 4)) {
    return undefined;
  }
  const all = [...h, ...Array(tail === undefined ? 0 : missing).fill('0'), ...t];
  return { v6: true, address: all.reduce((a, g) => a * 65536n + BigInt(parseInt(g, 16)), 0n) };
}

function parseCidr(cidr: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const ip = m && parseIp(m[1]);
  if (!m || !ip) {
    return undefined;
  }
  const prefix = Number(m[2]);
  return prefix <= (ip.v6 ? 128 : 32) ? { ...ip, prefix } : undefined;
}

function contains(outer: Cidr, inner: Cidr): boolean {
  const bits = outer.v6 ? 128 : 32;
  const size = 2n ** BigInt(bits - outer.prefix);
  return outer.v6 === inner.v6 && inner.prefix >= outer.prefix && outer.address / size === inner.address / size;
}

function ipBlock(scope: EtcdCluster, prop: string, cidr: string, except: string[] | undefined): k8s.IpBlock {
  const range = parseCidr(cidr);
  if (!range) {
    invalid(scope, prop, `must be a CIDR range such as "10.0.0.0/8" or "2001:db8::/32" (got "${cidr}")`);
  }
  for (const e of except ?? []) {
    const inner = parseCidr(e);
    if (!inner || !contains(range, inner) || inner.prefix === range.prefix) {
      invalid(scope, prop, `has except "${e}", which must be a CIDR range strictly within "${cidr}"`);
    }
  }
  return { cidr, except: except?.length ? [...except] : undefined };
}
