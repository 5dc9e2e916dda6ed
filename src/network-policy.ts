import { Construct } from 'constructs';
import type { EtcdCluster } from './etcd-cluster';

/**
 * Who may talk to the members.
 */
export interface EtcdNetworkPolicyOptions {
  /**
   * Render a NetworkPolicy.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * The members' NetworkPolicy. Created by `EtcdCluster` from its `networkPolicy` prop.
 */
export class EtcdNetworkPolicy extends Construct {
  constructor(cluster: EtcdCluster, id: string, options: EtcdNetworkPolicyOptions = {}) {
    super(cluster, id);
    void options;
  }
}
