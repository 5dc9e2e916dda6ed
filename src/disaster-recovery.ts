import { Cron, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { EtcdCronJobOptions, cronJobName, cronJobSpec, jobPodOptions } from './jobs';
import { DNS_LABEL } from './labels';
import { sizeQuantity } from './resources';
import { runtimeJobPodTemplate } from './runtime';

/**
 * Options of a snapshot volume the construct creates.
 */
export interface SnapshotClaimOptions {
  /**
   * Size of the claim.
   * @default Size.gibibytes(2)
   */
  readonly size?: Size;
  /**
   * StorageClass; it must offer ReadWriteMany (e.g. NFS), since every member mounts it to restore.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Access modes.
   * @default [PersistentVolumeAccessMode.READ_WRITE_MANY]
   */
  readonly accessModes?: kplus.PersistentVolumeAccessMode[];
  /**
   * Annotations of the claim.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/**
 * Where snapshots are kept.
 */
export class SnapshotVolume {
  /** A PersistentVolumeClaim `<name>-snapshots` created by the construct. */
  public static newClaim(options: SnapshotClaimOptions = {}): SnapshotVolume {
    return new SnapshotVolume(undefined, options);
  }

  /** An existing PersistentVolumeClaim. */
  public static fromClaim(claimName: string): SnapshotVolume {
    return new SnapshotVolume(claimName, {});
  }

  private constructor(
    /** @internal */ public readonly _claimName: string | undefined,
    /** @internal */ public readonly _options: SnapshotClaimOptions,
  ) {}
}

/**
 * Scheduled snapshots and automatic recovery.
 */
export interface EtcdDisasterRecoveryOptions extends EtcdCronJobOptions {
  /**
   * Where the snapshots are kept.
   * @default SnapshotVolume.newClaim()
   */
  readonly volume?: SnapshotVolume;
  /**
   * Directory within the volume.
   * @default - the volume's root
   */
  readonly subPath?: string;
  /**
   * How many snapshots to keep (the newest).
   * @default 3
   */
  readonly snapshotsToKeep?: number;
  /**
   * When members start with no data and no cluster answers, restore the newest snapshot (all
   * members the same one), so a lost cluster comes back on its own. Note: a new cluster that finds
   * snapshots of an earlier one on the volume restores them too.
   * @default true
   */
  readonly automaticRecovery?: boolean;
  /**
   * Revisions to add when restoring (`--bump-revision`, with `--mark-compacted`), so that clients
   * that watch never see revisions go backwards. 0 restores the revisions as they were.
   * @default 1000000000
   */
  readonly bumpRevision?: number;
}

/**
 * A new cluster that starts from a snapshot file.
 */
export interface EtcdStartFromSnapshotOptions {
  /** The claim that holds the snapshot. */
  readonly claimName: string;
  /** The snapshot's file name within the claim (or within `subPath`). */
  readonly fileName: string;
  /**
   * Directory within the claim.
   * @default - the claim's root
   */
  readonly subPath?: string;
  /**
   * Revisions to add when restoring (see `EtcdDisasterRecoveryOptions.bumpRevision`).
   * @default 1000000000
   */
  readonly bumpRevision?: number;
}

const SNAPSHOT_DIR = '/snapshots';
const INIT_DIR = '/init-snapshot';

/**
 * Snapshots on a schedule, automatic recovery from the newest, and starting a new cluster from a
 * snapshot. Created by `EtcdCluster` from its `disasterRecovery` and `startFromSnapshot` props.
 */
export class EtcdDisasterRecovery extends Construct {
  /** The snapshot CronJob, with disaster recovery on. */
  public readonly snapshotCronJob?: k8s.KubeCronJob;
  /** The snapshot volume's claim, when the construct creates it. */
  public readonly snapshotClaim?: k8s.KubePersistentVolumeClaim;
  /** The claim the snapshots are written to, with disaster recovery on. */
  public readonly snapshotClaimName?: string;

  constructor(cluster: EtcdCluster, id: string, dr?: EtcdDisasterRecoveryOptions, start?: EtcdStartFromSnapshotOptions) {
    super(cluster, id);
    const facts = cluster._facts;
    const env: k8s.EnvVar[] = [];
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [];
    const bump = (prop: string, value: number | undefined) => {
      const n = value ?? 1_000_000_000;
      if (!Number.isInteger(n) || n < 0) {
        invalid(cluster, prop, `must be a whole number of at least 0 (got ${n})`);
      }
      return n;
    };

    if (start) {
      if (!DNS_LABEL.test(start.claimName ?? '')) {
        invalid(cluster, 'startFromSnapshot.claimName', `must name the claim that holds the snapshot (got "${start.claimName}")`);
      }
      if (!/^[^/]+$/.test(start.fileName ?? '') || start.fileName === '.' || start.fileName === '..') {
        invalid(cluster, 'startFromSnapshot.fileName', `must be the snapshot's file name, without "/" (got "${start.fileName}")`);
      }
      this.checkSubPath(cluster, 'startFromSnapshot.subPath', start.subPath);
      volumes.push({ name: 'init-snapshot', persistentVolumeClaim: { claimName: start.claimName, readOnly: true } });
      mounts.push({ name: 'init-snapshot', mountPath: INIT_DIR, subPath: start.subPath, readOnly: true });
      env.push({ name: 'ETCDK8S_RESTORE_FILE', value: `${INIT_DIR}/${start.fileName}` });
    }

    if (dr) {
      if (!facts.persistent) {
        invalid(cluster, 'disasterRecovery', 'needs persistence: a member without a volume loses its data with its pod; set `persistence.enabled` to true');
      }
      const keep = dr.snapshotsToKeep ?? 3;
      if (!Number.isInteger(keep) || keep < 1) {
        invalid(cluster, 'disasterRecovery.snapshotsToKeep', `must be a whole number of at least 1 (got ${keep})`);
      }
      this.checkSubPath(cluster, 'disasterRecovery.subPath', dr.subPath);
      const volume = dr.volume ?? SnapshotVolume.newClaim();
      if (volume._claimName !== undefined && !DNS_LABEL.test(volume._claimName)) {
        invalid(cluster, 'disasterRecovery.volume', `must name an existing claim (got "${volume._claimName}")`);
      }
      this.snapshotClaimName = volume._claimName ?? `${facts.name}-snapshots`;
      if (volume._claimName === undefined) {
        const size = volume._options.size ?? Size.gibibytes(2);
        if (!(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) > 0)) {
          invalid(cluster, 'disasterRecovery.volume size', `must be larger than zero (got ${sizeQuantity(size)})`);
        }
        this.snapshotClaim = new k8s.KubePersistentVolumeClaim(this, 'SnapshotClaim', {
          metadata: cluster._metadata(this.snapshotClaimName, 'snapshots', undefined, volume._options.annotations),
          spec: {
            accessModes: volume._options.accessModes ?? [kplus.PersistentVolumeAccessMode.READ_WRITE_MANY],
            storageClassName: volume._options.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(size)) } },
          },
        });
      }
      const snapshotVolume: k8s.Volume = { name: 'snapshots', persistentVolumeClaim: { claimName: this.snapshotClaimName } };
      const bumpRevision = bump('disasterRecovery.bumpRevision', dr.bumpRevision);
      if (dr.automaticRecovery ?? true) {
        volumes.push({ ...snapshotVolume, persistentVolumeClaim: { claimName: this.snapshotClaimName, readOnly: true } });
        mounts.push({ name: 'snapshots', mountPath: SNAPSHOT_DIR, subPath: dr.subPath, readOnly: true });
        env.push({ name: 'ETCDK8S_SNAPSHOT_DIR', value: SNAPSHOT_DIR });
        env.push({ name: 'ETCDK8S_RESTORE_BUMP_REVISION', value: `${bumpRevision}` });
      }
      const template = runtimeJobPodTemplate(cluster._runtimeContext(), {
        component: 'snapshot',
        script: 'snapshot.sh',
        env: [
          { name: 'ETCDK8S_SNAPSHOT_DIR', value: SNAPSHOT_DIR },
          { name: 'ETCDK8S_SNAPSHOTS_TO_KEEP', value: `${keep}` },
        ],
        volumes: [snapshotVolume],
        mounts: [{ name: 'snapshots', mountPath: SNAPSHOT_DIR, subPath: dr.subPath }],
        ...jobPodOptions(cluster, 'disasterRecovery', dr),
      });
      this.snapshotCronJob = new k8s.KubeCronJob(this, 'SnapshotCronJob', {
        metadata: cluster._metadata(cronJobName(cluster, 'snapshot'), 'snapshot'),
        spec: cronJobSpec(cluster, 'disasterRecovery', dr, Cron.schedule({ minute: '*/30' }), template),
      });
    }
    if (start && !env.some(e => e.name === 'ETCDK8S_RESTORE_BUMP_REVISION')) {
      env.push({ name: 'ETCDK8S_RESTORE_BUMP_REVISION', value: `${bump('startFromSnapshot.bumpRevision', start.bumpRevision)}` });
    }
    cluster._addToMembers({ env, volumes, mounts });
  }

  private checkSubPath(cluster: EtcdCluster, prop: string, subPath: string | undefined) {
    if (subPath !== undefined && (!/^[^/].*$/.test(subPath) || subPath.split('/').includes('..'))) {
      invalid(cluster, prop, `must be a relative path within the volume, without ".." (got "${subPath}")`);
    }
  }
}
