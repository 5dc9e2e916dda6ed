import { Topology, Scheme } from './topology';

/**
 * What a feature construct (metrics, scheduling, network policy, TLS, auth, disaster recovery, ...)
 * knows about the cluster it extends. Resolved from the props before any feature is created.
 */
export interface ClusterFacts {
  /** Base name of the objects; the StatefulSet's name. */
  readonly name: string;
  /** The chart's namespace, when it has one. */
  readonly namespace?: string;
  readonly replicas: number;
  readonly topology: Topology;
  /** The labels that select the member pods (and nothing else). */
  readonly selector: { readonly [key: string]: string };
  /** Labels of every object of the cluster (without `app.kubernetes.io/component`). */
  readonly labels: { readonly [key: string]: string };
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly clientScheme: Scheme;
  readonly peerScheme: Scheme;
  /** Whether members keep their data on PersistentVolumeClaims. */
  readonly persistent: boolean;
}
