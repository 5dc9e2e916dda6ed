import { Construct } from 'constructs';
import type { EtcdCluster } from './etcd-cluster';

/**
 * Where the members run.
 */
export interface EtcdSchedulingOptions {
  /**
   * Node labels the members require.
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
}

/**
 * The members' placement: affinity presets, topology spread, node selector, tolerations. Created
 * by `EtcdCluster` from its `scheduling` prop.
 */
export class EtcdScheduling extends Construct {
  constructor(cluster: EtcdCluster, id: string, options: EtcdSchedulingOptions = {}) {
    super(cluster, id);
    void options;
  }
}
