/**
 * Pure naming and membership math: no constructs, no Kubernetes objects. Everything that knows how
 * a member, a Service or a URL is named lives here, so the pods, the Jobs, the certificates and the
 * public handles can never disagree.
 */

/** `http` or `https`. */
export type Scheme = 'http' | 'https';

/** What the names are derived from. */
export interface TopologySpec {
  /** Base name: the StatefulSet's name and the prefix of every other object. */
  readonly name: string;
  /** The namespace, when the chart sets one. DNS names are namespace-relative without it. */
  readonly namespace?: string;
  readonly clusterDomain: string;
  readonly replicas: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly clientScheme: Scheme;
  readonly peerScheme: Scheme;
}

/** Votes needed for a decision in a cluster of `members` voters. */
export function quorum(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** How many voters can fail while the rest keep quorum. */
export function faultTolerance(members: number): number {
  return Math.floor((members - 1) / 2);
}

export class Topology {
  public readonly name: string;
  public readonly headlessServiceName: string;
  public readonly clientServiceName: string;
  /** Member (pod) names in ordinal order. */
  public readonly members: string[];

  constructor(public readonly spec: TopologySpec) {
    this.name = spec.name;
    this.headlessServiceName = `${spec.name}-headless`;
    this.clientServiceName = spec.name;
    this.members = Array.from({ length: spec.replicas }, (_, i) => `${spec.name}-${i}`);
  }

  /**
   * The DNS suffix under which members resolve: `<headless>.<ns>.svc.<domain>`, or just
   * `<headless>` when the namespace is not known at synth time.
   */
  public get memberDomain(): string {
    return this.qualify(this.headlessServiceName);
  }

  /** A member's host name. */
  public memberHost(member: string): string {
    return `${member}.${this.memberDomain}`;
  }

  public peerUrl(member: string): string {
    return `${this.spec.peerScheme}://${this.memberHost(member)}:${this.spec.peerPort}`;
  }

  public clientUrl(member: string): string {
    return `${this.spec.clientScheme}://${this.memberHost(member)}:${this.spec.clientPort}`;
  }

  /** The client Service's URL. */
  public get clientEndpoint(): string {
    return `${this.spec.clientScheme}://${this.qualify(this.clientServiceName)}:${this.spec.clientPort}`;
  }

  /**
   * Every DNS name a server certificate must cover: each member, the headless and the client
   * Service, each short and (with a namespace) fully qualified.
   */
  public serverDnsNames(): string[] {
    const names = new Set<string>();
    const forms = (host: string) => {
      names.add(host);
      if (this.spec.namespace) {
        names.add(`${host}.${this.spec.namespace}`);
        names.add(`${host}.${this.spec.namespace}.svc`);
        names.add(`${host}.${this.spec.namespace}.svc.${this.spec.clusterDomain}`);
      }
    };
    forms(`*.${this.headlessServiceName}`);
    for (const m of this.members) {
      forms(`${m}.${this.headlessServiceName}`);
    }
    forms(this.headlessServiceName);
    forms(this.clientServiceName);
    return [...names];
  }

  private qualify(service: string): string {
    return this.spec.namespace ? `${service}.${this.spec.namespace}.svc.${this.spec.clusterDomain}` : service;
  }
}
