import { Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EtcdClusterProps, ResourcesPreset, SnapshotVolume, TlsSource } from '../src';
import { validateAll } from './schema';
import { Manifest, container, envOf, find, findAll, forSnapshot, memberPod, synthCluster } from './util';

function expectInvalid(props: EtcdClusterProps, message: RegExp) {
  expect(() => synthCluster(props)).toThrow(message);
}

describe('disaster recovery', () => {
  const { cluster, manifests } = synthCluster({ disasterRecovery: { volume: SnapshotVolume.newClaim({ size: Size.gibibytes(5), storageClassName: 'nfs' }) } });
  const cron = find(manifests, 'CronJob', 'etcd-snapshot');

  test('renders the snapshot claim and CronJob, schema-valid', () => {
    expect(forSnapshot(manifests)).toMatchSnapshot();
    validateAll(manifests);
    expect(cluster.disasterRecovery.snapshotClaimName).toBe('etcd-snapshots');
  });

  test('the claim is ReadWriteMany, so every member can restore from it', () => {
    expect(find(manifests, 'PersistentVolumeClaim', 'etcd-snapshots').spec).toEqual({
      accessModes: ['ReadWriteMany'], storageClassName: 'nfs', resources: { requests: { storage: '5Gi' } },
    });
  });

  test('the CronJob runs every 30 minutes, one at a time, keeping one Job of each outcome', () => {
    expect(cron.spec).toMatchObject({
      schedule: '*/30 * * * *',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: { backoffLimit: 2 } },
    });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const c = container(pod, 'snapshot');
    expect(c.command).toEqual(['/tools/bin/sh', '/runtime/snapshot.sh']);
    expect(envOf(c)).toMatchObject({ ETCDK8S_SNAPSHOT_DIR: '/snapshots', ETCDK8S_SNAPSHOTS_TO_KEEP: '3' });
    expect(c.volumeMounts).toContainEqual({ name: 'snapshots', mountPath: '/snapshots' });
    expect(pod.volumes).toContainEqual({ name: 'snapshots', persistentVolumeClaim: { claimName: 'etcd-snapshots' } });
    expect(cron.spec.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('snapshot');
  });

  test('members mount the snapshots read-only to restore the newest after a total loss', () => {
    const pod = memberPod(manifests);
    const etcd = container(pod, 'etcd');
    expect(envOf(etcd)).toMatchObject({ ETCDK8S_SNAPSHOT_DIR: '/snapshots', ETCDK8S_RESTORE_BUMP_REVISION: '1000000000' });
    expect(etcd.volumeMounts).toContainEqual({ name: 'snapshots', mountPath: '/snapshots', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'snapshots', persistentVolumeClaim: { claimName: 'etcd-snapshots', readOnly: true } });
  });

  test('an existing claim with a sub-path, and the CronJob options', () => {
    const { chart } = synthCluster();
    const { manifests: m } = synthCluster({
      tls: { client: TlsSource.auto() },
      disasterRecovery: {
        volume: SnapshotVolume.fromClaim('backups'),
        subPath: 'etcd/prod',
        snapshotsToKeep: 10,
        automaticRecovery: false,
        schedule: Cron.schedule({ minute: '0', hour: '*/6' }),
        suspend: true,
        startingDeadline: Duration.minutes(5),
        activeDeadline: Duration.minutes(30),
        successfulJobsHistoryLimit: 3,
        resourcesPreset: ResourcesPreset.SMALL,
        nodeSelector: { pool: 'ops' },
        tolerations: [kplus.NodeTaintQuery.exists('dedicated')],
        podLabels: { backup: 'etcd' },
        serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'sa', 'backup-sa'),
      },
    });
    expect(findAll(m, 'PersistentVolumeClaim')).toEqual([]);
    const c = find(m, 'CronJob', 'etcd-snapshot');
    expect(c.spec).toMatchObject({ schedule: '0 */6 * * *', suspend: true, startingDeadlineSeconds: 300, successfulJobsHistoryLimit: 3 });
    expect(c.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(1800);
    const pod = c.spec.jobTemplate.spec.template;
    expect(pod.metadata.labels.backup).toBe('etcd');
    expect(pod.spec).toMatchObject({ nodeSelector: { pool: 'ops' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }], serviceAccountName: 'backup-sa' });
    expect(container(pod.spec, 'snapshot').volumeMounts).toContainEqual({ name: 'snapshots', mountPath: '/snapshots', subPath: 'etcd/prod' });
    expect(envOf(container(pod.spec, 'snapshot'))).toMatchObject({ ETCDK8S_SNAPSHOTS_TO_KEEP: '10', ETCDCTL_INSECURE_SKIP_TLS_VERIFY: 'true' });
    // no automatic recovery: members do not mount the snapshots
    expect(envOf(container(memberPod(m), 'etcd')).ETCDK8S_SNAPSHOT_DIR).toBeUndefined();
  });
});

describe('start from a snapshot', () => {
  test('every member restores the same file from the claim', () => {
    const { manifests } = synthCluster({ startFromSnapshot: { claimName: 'old-backups', fileName: 'snapshot-20261201T000000Z.db', subPath: 'etcd', bumpRevision: 0 } });
    const pod = memberPod(manifests);
    const etcd = container(pod, 'etcd');
    expect(envOf(etcd)).toMatchObject({ ETCDK8S_RESTORE_FILE: '/init-snapshot/snapshot-20261201T000000Z.db', ETCDK8S_RESTORE_BUMP_REVISION: '0' });
    expect(pod.volumes).toContainEqual({ name: 'init-snapshot', persistentVolumeClaim: { claimName: 'old-backups', readOnly: true } });
    expect(etcd.volumeMounts).toContainEqual({ name: 'init-snapshot', mountPath: '/init-snapshot', subPath: 'etcd', readOnly: true });
    expect(findAll(manifests, 'CronJob')).toEqual([]);
    validateAll(manifests);
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });
});

describe('defragmentation', () => {
  test('a daily CronJob with the fragmentation threshold', () => {
    const { cluster, manifests } = synthCluster({ defrag: { minFragmentationPercent: 25 } });
    const cron = find(manifests, 'CronJob', 'etcd-defrag');
    expect(cron.spec.schedule).toBe('0 0 * * *');
    const c = container(cron.spec.jobTemplate.spec.template.spec, 'defrag');
    expect(c.command).toEqual(['/tools/bin/sh', '/runtime/defrag.sh']);
    expect(envOf(c).ETCDK8S_DEFRAG_MIN_PERCENT).toBe('25');
    expect(cluster.defrag?.cronJob.name).toBe('etcd-defrag');
    validateAll(manifests);
    expect(forSnapshot(manifests.filter((m: Manifest) => m.kind === 'CronJob'))).toMatchSnapshot();
  });
});

describe('disaster recovery validation', () => {
  test('disaster recovery needs persistence', () => {
    expectInvalid({ persistence: { enabled: false }, disasterRecovery: {} }, /`disasterRecovery` needs persistence/);
  });

  test('start from snapshot needs a claim and a file name', () => {
    expectInvalid({ startFromSnapshot: { claimName: '', fileName: 'x.db' } }, /`startFromSnapshot.claimName` must name the claim/);
    expectInvalid({ startFromSnapshot: { claimName: 'c', fileName: '' } }, /`startFromSnapshot.fileName` must be the snapshot's file name/);
    expectInvalid({ startFromSnapshot: { claimName: 'c', fileName: 'a/b.db' } }, /`startFromSnapshot.fileName` must be the snapshot's file name, without "\/"/);
  });

  test('the snapshot history must keep at least one', () => {
    expectInvalid({ disasterRecovery: { snapshotsToKeep: 0 } }, /`disasterRecovery.snapshotsToKeep` must be a whole number of at least 1/);
  });

  test.each([
    [{ minute: '61' }], [{ hour: '*/0' }], [{ day: '0' }], [{ month: 'every' }], [{ weekDay: '8' }],
  ])('schedule %p is not a valid cron', fields => {
    expectInvalid({ disasterRecovery: { schedule: Cron.schedule(fields) } }, /`disasterRecovery.schedule` ".*" is not a valid cron schedule/);
    expectInvalid({ defrag: { schedule: Cron.schedule(fields) } }, /`defrag.schedule` ".*" is not a valid cron schedule/);
  });

  test('valid schedules pass', () => {
    for (const schedule of [Cron.hourly(), Cron.weekly(), Cron.schedule({ minute: '5,35', hour: '1-5', weekDay: 'MON-FRI' })]) {
      expect(() => synthCluster({ defrag: { schedule } })).not.toThrow();
    }
  });

  test('the snapshot volume must be larger than zero', () => {
    expectInvalid({ disasterRecovery: { volume: SnapshotVolume.newClaim({ size: Size.gibibytes(0) }) } }, /`disasterRecovery.volume size` must be larger than zero/);
  });

  test('counts, paths and thresholds must make sense', () => {
    expectInvalid({ disasterRecovery: { subPath: '/abs' } }, /`disasterRecovery.subPath` must be a relative path/);
    expectInvalid({ disasterRecovery: { bumpRevision: -1 } }, /`disasterRecovery.bumpRevision` must be a whole number of at least 0/);
    expectInvalid({ disasterRecovery: { failedJobsHistoryLimit: -1 } }, /`disasterRecovery.failedJobsHistoryLimit` must be a whole number of at least 0/);
    expectInvalid({ disasterRecovery: { startingDeadline: Duration.seconds(1) } }, /`disasterRecovery.startingDeadline` must be a whole number of seconds, at least 10/);
    expectInvalid({ defrag: { minFragmentationPercent: 100 } }, /`defrag.minFragmentationPercent` must be a whole number from 0 to 99/);
    expectInvalid({ disasterRecovery: { volume: SnapshotVolume.fromClaim('Bad_Name') } }, /`disasterRecovery.volume` must name an existing claim/);
  });

  test('names too long for a CronJob are refused', () => {
    expectInvalid({ name: 'a'.repeat(44), disasterRecovery: {} }, /`name` is too long for the CronJob "a{44}-snapshot" \(at most 52 characters\); use at most 43 characters/);
  });

});
