/**
 * A small NetworkPolicy evaluator for the tests, written from the Kubernetes semantics of
 * networking.k8s.io/v1 NetworkPolicy (kubernetes.io/docs/concepts/services-networking/network-policies
 * and the API reference), independent of the code that renders the policies:
 *
 * - a policy selects the pods of its own namespace that match its `podSelector` (`{}`: all);
 * - `policyTypes` defaults to Ingress, plus Egress when the policy has an `egress` section;
 * - a pod is isolated for a direction when some policy of that type selects it; traffic in that
 *   direction is then allowed iff some rule of some selecting policy matches (rules and policies
 *   add up); a pod no policy selects for a direction allows everything in it;
 * - a connection needs both the source's egress and the destination's ingress;
 * - a rule matches when one of its peers matches (no or empty `from`/`to`: every peer) and one of
 *   its ports matches (no or empty `ports`: every port);
 * - a peer is an `ipBlock` (the address is in `cidr` and in no `except`), or selectors: a
 *   `podSelector` alone picks pods of the policy's namespace, a `namespaceSelector` alone all pods
 *   of the matching namespaces, both together the matching pods of the matching namespaces (AND);
 * - a port has a protocol (default TCP) and a number (with `endPort`: a range) or a name, resolved
 *   against the destination pod's container ports; without a port, every port of the protocol;
 * - traffic between a pod and the node it runs on (kubelet probes) is always allowed.
 *
 * Only IPv4 addresses are supported in `ipBlock`.
 */
import { Manifest } from './util';

export type Labels = { readonly [key: string]: string };
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: Protocol;
}

/** A pod: where it is, its labels and address, and its containers' ports. */
export interface PodEndpoint {
  readonly kind: 'pod';
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly ip: string;
  readonly ports?: ContainerPort[];
}

/** A node (host network), e.g. the kubelet; `runs` lists the pods on it as `namespace/name`. */
export interface NodeEndpoint {
  readonly kind: 'node';
  readonly name: string;
  readonly ip: string;
  readonly runs: string[];
}

/** An address outside the Kubernetes cluster. */
export interface ExternalEndpoint {
  readonly kind: 'external';
  readonly ip: string;
}

export type Endpoint = PodEndpoint | NodeEndpoint | ExternalEndpoint;

export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: Protocol;
}

/** A namespace and its labels (`kubernetes.io/metadata.name` is added as Kubernetes does). */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels?: Labels;
}

export function pod(namespace: string, name: string, ip: string, labels: Labels, ports?: ContainerPort[]): PodEndpoint {
  return { kind: 'pod', namespace, name, ip, labels, ports };
}

export function external(ip: string): ExternalEndpoint {
  return { kind: 'external', ip };
}

export function node(name: string, ip: string, runs: PodEndpoint[]): NodeEndpoint {
  return { kind: 'node', name, ip, runs: runs.map(p => `${p.namespace}/${p.name}`) };
}

type Direction = 'Ingress' | 'Egress';

export class NetworkPolicyEvaluator {
  private readonly policies: Manifest[];
  private readonly namespaceLabels = new Map<string, Labels>();

  /**
   * @param manifests objects of any kind; only NetworkPolicies count
   * @param namespaces the namespaces and their labels
   * @param defaultNamespace the namespace of a policy without `metadata.namespace`
   */
  constructor(manifests: Manifest[], namespaces: NamespaceInfo[] = [], private readonly defaultNamespace = 'default') {
    this.policies = manifests.filter(m => m.apiVersion === 'networking.k8s.io/v1' && m.kind === 'NetworkPolicy');
    for (const ns of namespaces) {
      this.namespaceLabels.set(ns.name, { ...ns.labels, 'kubernetes.io/metadata.name': ns.name });
    }
  }

  /** Whether the connection is allowed: the source's egress and the destination's ingress. */
  public allows(c: Connection): boolean {
    return this.egressAllowed(c) && this.ingressAllowed(c);
  }

  public ingressAllowed(c: Connection): boolean {
    if (c.to.kind !== 'pod') {
      return true;
    }
    if (c.from.kind === 'node' && c.from.runs.includes(`${c.to.namespace}/${c.to.name}`)) {
      return true;
    }
    return this.directionAllowed('Ingress', c.to, c.from, c);
  }

  public egressAllowed(c: Connection): boolean {
    if (c.from.kind !== 'pod') {
      return true;
    }
    if (c.to.kind === 'node' && c.to.runs.includes(`${c.from.namespace}/${c.from.name}`)) {
      return true;
    }
    return this.directionAllowed('Egress', c.from, c.to, c);
  }

  /** The policies that select `subject` for `direction`. */
  public selecting(direction: Direction, subject: PodEndpoint): Manifest[] {
    return this.policies.filter(p => this.policyNamespace(p) === subject.namespace
      && policyTypes(p).includes(direction)
      && matchesSelector(p.spec?.podSelector ?? {}, subject.labels));
  }

  /** `subject` is the selected pod, `other` the remote end. */
  private directionAllowed(direction: Direction, subject: PodEndpoint, other: Endpoint, c: Connection): boolean {
    const policies = this.selecting(direction, subject);
    if (policies.length === 0) {
      return true;
    }
    const destination = direction === 'Ingress' ? subject : other;
    return policies.some(p => {
      const rules: Manifest[] = (direction === 'Ingress' ? p.spec?.ingress : p.spec?.egress) ?? [];
      return rules.some(rule => {
        const peers: Manifest[] | undefined = direction === 'Ingress' ? rule.from : rule.to;
        const peerOk = !peers || peers.length === 0 || peers.some(peer => this.peerMatches(peer, other, this.policyNamespace(p)));
        return peerOk && portsMatch(rule.ports, c, destination);
      });
    });
  }

  private policyNamespace(p: Manifest): string {
    return p.metadata?.namespace ?? this.defaultNamespace;
  }

  private namespaceLabelsOf(name: string): Labels {
    return this.namespaceLabels.get(name) ?? { 'kubernetes.io/metadata.name': name };
  }

  private peerMatches(peer: Manifest, endpoint: Endpoint, policyNamespace: string): boolean {
    const hasSelector = peer.podSelector !== undefined || peer.namespaceSelector !== undefined;
    if (peer.ipBlock !== undefined && hasSelector) {
      throw new Error(`invalid peer ${JSON.stringify(peer)}: ipBlock cannot be combined with selectors`);
    }
    if (peer.ipBlock !== undefined) {
      return inBlock(endpoint.ip, peer.ipBlock);
    }
    if (!hasSelector) {
      throw new Error(`invalid peer ${JSON.stringify(peer)}: needs podSelector, namespaceSelector or ipBlock`);
    }
    if (endpoint.kind !== 'pod') {
      return false;
    }
    const namespaceOk = peer.namespaceSelector !== undefined
      ? matchesSelector(peer.namespaceSelector, this.namespaceLabelsOf(endpoint.namespace))
      : endpoint.namespace === policyNamespace;
    return namespaceOk && (peer.podSelector === undefined || matchesSelector(peer.podSelector, endpoint.labels));
  }
}

function policyTypes(p: Manifest): Direction[] {
  if (p.spec?.policyTypes) {
    return p.spec.policyTypes;
  }
  return p.spec?.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** A label selector: every matchLabels pair and every expression must hold; `{}` matches everything. */
export function matchesSelector(selector: Manifest, labels: Labels): boolean {
  const pairs = Object.entries(selector.matchLabels ?? {});
  if (!pairs.every(([k, v]) => labels[k] === v)) {
    return false;
  }
  return (selector.matchExpressions ?? []).every((e: Manifest) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values: string[] = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!values.length) throw new Error(`invalid expression ${JSON.stringify(e)}: In needs values`);
        return has && values.includes(labels[e.key]);
      case 'NotIn':
        if (!values.length) throw new Error(`invalid expression ${JSON.stringify(e)}: NotIn needs values`);
        return !has || !values.includes(labels[e.key]);
      case 'Exists':
        if (values.length) throw new Error(`invalid expression ${JSON.stringify(e)}: Exists takes no values`);
        return has;
      case 'DoesNotExist':
        if (values.length) throw new Error(`invalid expression ${JSON.stringify(e)}: DoesNotExist takes no values`);
        return !has;
      default:
        throw new Error(`invalid expression ${JSON.stringify(e)}: unknown operator`);
    }
  });
}

function portsMatch(ports: Manifest[] | undefined, c: Connection, destination: Endpoint): boolean {
  if (!ports || ports.length === 0) {
    return true;
  }
  const protocol = c.protocol ?? 'TCP';
  return ports.some(p => {
    if ((p.protocol ?? 'TCP') !== protocol) {
      return false;
    }
    if (p.port === undefined) {
      if (p.endPort !== undefined) throw new Error(`invalid port ${JSON.stringify(p)}: endPort needs port`);
      return true;
    }
    if (typeof p.port === 'string') {
      if (p.endPort !== undefined) throw new Error(`invalid port ${JSON.stringify(p)}: endPort needs a numeric port`);
      // A named port: the destination pod's container port of that name and protocol.
      return destination.kind === 'pod' && (destination.ports ?? []).some(cp =>
        cp.name === p.port && (cp.protocol ?? 'TCP') === protocol && cp.containerPort === c.port);
    }
    if (p.endPort !== undefined) {
      if (p.endPort < p.port) throw new Error(`invalid port ${JSON.stringify(p)}: endPort below port`);
      return c.port >= p.port && c.port <= p.endPort;
    }
    return c.port === p.port;
  });
}

function ipv4(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m || m.slice(1).some(o => Number(o) > 255)) {
    throw new Error(`the evaluator only knows IPv4 addresses (got "${ip}")`);
  }
  return m.slice(1).reduce((a, o) => a * 256 + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (!(prefix >= 0 && prefix <= 32) || bits === undefined) {
    throw new Error(`invalid CIDR "${cidr}"`);
  }
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

function inBlock(ip: string, block: Manifest): boolean {
  return inCidr(ip, block.cidr) && !(block.except ?? []).some((e: string) => inCidr(ip, e));
}
