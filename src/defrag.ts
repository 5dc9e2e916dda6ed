import { Cron } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { EtcdCronJobOptions, cronJobName, cronJobSpec, jobPodOptions } from './jobs';
import { runtimeJobPodTemplate } from './runtime';

/**
 * Scheduled defragmentation. Most effective together with `autoCompaction`.
 */
export interface EtcdDefragOptions extends EtcdCronJobOptions {
  /**
   * Skip a member whose database is fragmented less than this share, in percent of its size.
   * @default 10
   */
  readonly minFragmentationPercent?: number;
}

/**
 * A CronJob that defragments the members one at a time (the leader last), skipping members below
 * the fragmentation threshold and checking the cluster's health before it starts and after each
 * member. Created by `EtcdCluster` from its `defrag` prop.
 */
export class EtcdDefrag extends Construct {
  /** The CronJob. */
  public readonly cronJob: k8s.KubeCronJob;

  constructor(cluster: EtcdCluster, id: string, options: EtcdDefragOptions) {
    super(cluster, id);
    const min = options.minFragmentationPercent ?? 10;
    if (!Number.isInteger(min) || min < 0 || min > 99) {
      invalid(cluster, 'defrag.minFragmentationPercent', `must be a whole number from 0 to 99 (got ${min})`);
    }
    const template = runtimeJobPodTemplate(cluster._runtimeContext(), {
      component: 'defrag',
      script: 'defrag.sh',
      env: [{ name: 'ETCDK8S_DEFRAG_MIN_PERCENT', value: `${min}` }],
      ...jobPodOptions(cluster, 'defrag', options),
    });
    this.cronJob = new k8s.KubeCronJob(this, 'CronJob', {
      metadata: cluster._metadata(cronJobName(cluster, 'defrag'), 'defrag'),
      spec: cronJobSpec(cluster, 'defrag', options, Cron.daily(), template),
    });
  }
}
