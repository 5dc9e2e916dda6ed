/**
 * Bad input fails at synth time with a message that names the prop and says what to do: one test per rule.
 */
import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AutoCompaction, EtcdClusterProps, EtcdImage, ResourcesPreset, TlsSource, ToolsImage } from '../src';
import { synthCluster } from './util';

function expectInvalid(props: EtcdClusterProps, message: RegExp) {
  expect(() => synthCluster(props)).toThrow(message);
}

describe('validation', () => {
  test('every message starts with the library and the construct path', () => {
    expect(() => synthCluster({ replicas: 0 })).toThrow(/^\[cdk8s-etcd\] test\/etcd: `replicas` /);
  });

  test.each([0, -1, 2.5, Number.NaN, 16, 2 ** 32])('replicas %p is refused', replicas => {
    expectInvalid({ replicas }, /`replicas` must be a whole number of at least 1 and at most 15/);
  });

  test('an even replica count is allowed', () => {
    expect(synthCluster({ replicas: 4 }).cluster.replicas).toBe(4);
  });

  test.each(['Etcd', 'etcd_1', '-etcd', 'a'.repeat(53)])('name %p is refused', name => {
    expectInvalid({ name }, /`name` must be a DNS label .* of at most 52 characters/);
  });

  test('a name too long for the derived Job name is refused', () => {
    expectInvalid({ name: 'a'.repeat(45) }, /`name` is too long for the reconcile Job's name .* use at most 44 characters/);
    expect(synthCluster({ name: 'a'.repeat(44) }).cluster.name).toHaveLength(44);
  });

  test.each([
    [{ client: 0 }, 'ports.client'],
    [{ peer: 70000 }, 'ports.peer'],
    [{ metrics: 1.5 }, 'ports.metrics'],
  ])('port %p is out of range', (ports, prop) => {
    expectInvalid({ ports }, new RegExp(`\`${prop.replace('.', '\\.')}\` must be a port number from 1 to 65535`));
  });

  test('clashing ports are refused', () => {
    expectInvalid({ ports: { metrics: 2379 } }, /`ports` must be three different ports \(got client 2379, peer 2380, metrics 2379\)/);
  });

  test('quota larger than the volume is refused', () => {
    expectInvalid({ quotaBackendBytes: Size.gibibytes(10) }, /`quotaBackendBytes` \(10737418240 bytes\) must fit the data volume \(persistence.size = 8Gi\)/);
    expectInvalid({ persistence: { enabled: false, emptyDirSizeLimit: Size.gibibytes(1) } },
      /`quotaBackendBytes` .* must fit the data volume \(persistence.emptyDirSizeLimit = 1Gi\)/);
  });

  test('zero sizes are refused', () => {
    expectInvalid({ persistence: { size: Size.gibibytes(0) } }, /`persistence.size` must be larger than zero/);
    expectInvalid({ quotaBackendBytes: Size.gibibytes(0) }, /`quotaBackendBytes` must be a whole number of bytes larger than zero/);
    expectInvalid({ maxRequestBytes: Size.kibibytes(0) }, /`maxRequestBytes` must be a whole number of bytes/);
  });

  test.each([
    ['periodic', '1x'], ['periodic', ''], ['periodic', '0'], ['periodic', '0h'], ['revision', '1h'], ['revision', '0'],
  ])('compaction retention %p / %p does not parse for its mode', (mode, retention) => {
    expect(() => AutoCompaction.fromValues(mode, retention)).toThrow(new RegExp(`\`retention\` "${retention}" is not a ${mode} retention`));
  });

  test('an unknown compaction mode is refused', () => {
    expect(() => AutoCompaction.fromValues('hourly', '1')).toThrow(/`mode` "hourly" is not an auto compaction mode; use "periodic" or "revision"/);
  });

  test.each([['periodic', '72h'], ['periodic', '1h30m'], ['periodic', '10'], ['revision', '1000']])('compaction %p / %p parses', (mode, retention) => {
    expect(AutoCompaction.fromValues(mode, retention).retention).toBe(retention);
  });

  test('typed compaction refuses zero', () => {
    expect(() => AutoCompaction.periodic(Duration.seconds(0))).toThrow(/`retention` must be longer than zero/);
    expect(() => AutoCompaction.revision(0)).toThrow(/`revisions` must be a whole number of at least 1/);
  });

  test.each([`sha256:${'a'.repeat(63)}`, `sha512:${'a'.repeat(64)}`, `sha256:${'A'.repeat(64)}`])('digest %p is refused', digest => {
    expect(() => EtcdImage.fromRegistry({ digest })).toThrow(/EtcdImage: `digest` must be "sha256:" followed by 64 lower-case hex digits/);
    expect(() => ToolsImage.fromRegistry({ digest })).toThrow(/ToolsImage: `digest`/);
  });

  test('bad image parts are refused', () => {
    expect(() => EtcdImage.fromRegistry({ registry: 'https://quay.io' })).toThrow(/`registry` must be a registry host/);
    expect(() => EtcdImage.fromRegistry({ repository: 'CoreOS/etcd' })).toThrow(/`repository` must be lower-case path components/);
    expect(() => EtcdImage.fromVersion('v3.6 latest')).toThrow(/`tag` must be a valid image tag/);
  });

  test('extraEnv may not override what the construct sets, and says which prop to use', () => {
    expectInvalid({ extraEnv: { ETCD_LOG_LEVEL: kplus.EnvValue.fromValue('debug') } }, /`extraEnv.ETCD_LOG_LEVEL` is set by the construct; use `logLevel` instead/);
    expectInvalid({ extraEnv: { ETCD_DATA_DIR: kplus.EnvValue.fromValue('/x') } }, /use `persistence.mountPath` instead/);
    expectInvalid({ extraEnv: { ETCD_INITIAL_CLUSTER: kplus.EnvValue.fromValue('x') } }, /use `replicas` \(the entrypoint computes the member list\) instead/);
    expectInvalid({ extraEnv: { ETCDK8S_DOMAIN: kplus.EnvValue.fromValue('x') } }, /`extraEnv.ETCDK8S_DOMAIN` is reserved for the runtime scripts/);
    expectInvalid({ extraEnv: { 'BAD NAME': kplus.EnvValue.fromValue('x') } }, /`extraEnv.BAD NAME` is not a valid environment variable name/);
  });

  test('an unknown resource preset is refused', () => {
    expect(() => ResourcesPreset.of('huge')).toThrow(/`name` "huge" is not a resource preset; use one of none, nano, micro, small, medium, large, xlarge, 2xlarge/);
    expect(ResourcesPreset.of('2xlarge').name).toBe('2xlarge');
  });

  test('election timeout must be 5 heartbeats to 50 seconds', () => {
    expectInvalid({ heartbeatInterval: Duration.millis(300) }, /`electionTimeout` must be at least 5 heartbeats \(1500ms\)/);
    expectInvalid({ electionTimeout: Duration.seconds(60) }, /`electionTimeout` must be .* at most 50 seconds/);
    expectInvalid({ heartbeatInterval: Duration.millis(0) }, /`heartbeatInterval` must be a whole number of milliseconds, at least 1/);
  });

  test('counts must be whole and positive', () => {
    expectInvalid({ snapshotCount: 0 }, /`snapshotCount` must be a whole number of at least 1/);
    expectInvalid({ maxProcs: 0.5 }, /`maxProcs` must be a whole number of at least 1/);
  });

  test('cluster domain and token must be well-formed', () => {
    expectInvalid({ clusterDomain: 'Cluster Local' }, /`clusterDomain` must be a DNS domain/);
    expectInvalid({ initialClusterToken: 'a token' }, /`initialClusterToken` must be letters, digits/);
  });

  test('data mount path must be a separate absolute path', () => {
    expectInvalid({ persistence: { mountPath: 'data' } }, /`persistence.mountPath` must be an absolute path other than/);
    expectInvalid({ persistence: { mountPath: '/tmp' } }, /`persistence.mountPath` must be an absolute path other than/);
    expectInvalid({ persistence: { claimTemplateName: 'Data' } }, /`persistence.claimTemplateName` must be a DNS label/);
  });

  test('security context ids must be non-root', () => {
    expectInvalid({ securityContext: { user: 0 } }, /`securityContext.user` must be a non-root id/);
    expectInvalid({ securityContext: { fsGroup: -1 } }, /`securityContext.fsGroup` must be a non-root id/);
  });

  test('client Service options must fit its type', () => {
    expectInvalid({ clientService: { nodePort: 30000 } }, /`clientService.nodePort` only applies to NODE_PORT and LOAD_BALANCER Services/);
    expectInvalid({ clientService: { type: kplus.ServiceType.NODE_PORT, loadBalancerIP: '1.2.3.4' } }, /`clientService.loadBalancerIP` only applies to LOAD_BALANCER/);
    expectInvalid({ clientService: { type: kplus.ServiceType.EXTERNAL_NAME } }, /`clientService.type` cannot be EXTERNAL_NAME/);
    expectInvalid({ clientService: { sessionAffinityTimeout: Duration.minutes(1) } }, /`clientService.sessionAffinityTimeout` needs `clientService.sessionAffinity` CLIENT_IP/);
    expectInvalid({ clientService: { extraPorts: [{ port: 2379, name: 'again' }] } }, /`clientService.extraPorts` need a name each/);
    expectInvalid({ clientService: { extraPorts: [{ port: 9000 }] } }, /`clientService.extraPorts` need a name each/);
  });

  test('probe timings must be whole and positive', () => {
    expectInvalid({ probes: { readiness: { failureThreshold: 0 } } }, /`probes.readiness.failureThreshold` must be a whole number of at least 1/);
    expectInvalid({ probes: { liveness: { successThreshold: 2 } } }, /`probes.liveness.successThreshold` must be 1 \(Kubernetes requires it\)/);
    expectInvalid({ probes: { startup: { period: Duration.millis(500) } } }, /`probes.startup.period` must be a whole number of seconds, at least 1/);
  });

  test('disruption budget settings must make sense', () => {
    expectInvalid({ replicas: 1, podDisruptionBudget: { maxUnavailable: 1 } }, /`podDisruptionBudget.maxUnavailable` has no effect without a PodDisruptionBudget/);
    expectInvalid({ podDisruptionBudget: { maxUnavailable: 4 } }, /`podDisruptionBudget.maxUnavailable` must be a whole number from 0 to replicas \(3\)/);
  });

  test('containers, volumes and mounts must not clash', () => {
    const chart = Testing.chart();
    const a = kplus.Volume.fromEmptyDir(chart, 'a', 'tools');
    const b = kplus.Volume.fromEmptyDir(chart, 'b', 'cache');
    expectInvalid({ extraVolumes: [a] }, /`extraVolumes` name two different volumes "tools"/);
    expectInvalid({ extraVolumeMounts: [{ volume: b, path: '/tmp' }] }, /`extraVolumeMounts` mount two volumes at \/tmp/);
    expectInvalid({ sidecars: [{ name: 'etcd', image: 'x' }] }, /`sidecars` and `initContainers` need unique names/);
    expectInvalid({ extraVolumeClaimTemplates: [{ name: 'data', size: Size.gibibytes(1) }] }, /`extraVolumeClaimTemplates\[0\].name` must be a DNS label other than "data"/);
  });

  test('reconcile Job settings must be whole and sensible', () => {
    expectInvalid({ reconcileJob: { backoffLimit: -1 } }, /`reconcileJob.backoffLimit` must be a whole number of at least 0/);
    expectInvalid({ reconcileJob: { timeout: Duration.seconds(10) } }, /`reconcileJob.timeout` must be at least 30 whole seconds/);
  });

  test('terminationGracePeriod must be whole seconds', () => {
    expectInvalid({ terminationGracePeriod: Duration.millis(1500) }, /`terminationGracePeriod` must be a whole number of seconds/);
  });

  test('labels and annotations must be what Kubernetes accepts', () => {
    expectInvalid({ labels: { 'bad key': 'x' } }, /`labels` has "bad key", which is not a label key/);
    expectInvalid({ podLabels: { team: 'not a value' } }, /`podLabels` has "team": "not a value", which is not a label value/);
    expectInvalid({ persistence: { selector: { disk: 'x'.repeat(64) } } }, /`persistence.selector` has "disk"/);
    expectInvalid({ annotations: { 'a/b/c': 'x' } }, /`annotations` has "a\/b\/c", which is not an annotation key/);
    expectInvalid({ disasterRecovery: { podLabels: { '-x': 'y' } } }, /`disasterRecovery.podLabels` has "-x"/);
    expect(() => synthCluster({ annotations: { 'example.com/note': 'any text, even: this!' } })).not.toThrow();
  });

  test('extraEnv may not set what a configured feature sets', () => {
    expectInvalid({ tls: { client: TlsSource.auto() }, extraEnv: { ETCD_AUTO_TLS: kplus.EnvValue.fromValue('false') } },
      /`extraEnv.ETCD_AUTO_TLS` is already set by the construct for a configured feature/);
  });

  test('user containers need DNS-label names, and init containers probes only as sidecars', () => {
    expectInvalid({ sidecars: [{ name: 'Bad Name', image: 'x' }] }, /`sidecars\[0\].name` must be a DNS label/);
    expectInvalid({ initContainers: [{ name: 'wait', image: 'x', readiness: kplus.Probe.fromTcpSocket({ port: 1 }) }] },
      /`initContainers\[0\]` may only have probes as a sidecar/);
    // cdk8s-plus adds a startup probe for a port; an init container must not carry it.
    const pod = synthCluster({ initContainers: [{ name: 'wait', image: 'x', portNumber: 8080 }] }).manifests
      .find(m => m.kind === 'StatefulSet').spec.template.spec;
    expect(pod.initContainers.find((c: { name: string }) => c.name === 'wait').startupProbe).toBeUndefined();
  });

  test('extra claim templates need distinct names', () => {
    expectInvalid({ extraVolumeClaimTemplates: [{ name: 'wal', size: Size.gibibytes(1) }, { name: 'wal', size: Size.gibibytes(1) }] },
      /`extraVolumeClaimTemplates\[1\].name` must be a DNS label other than "data" and the other templates' names/);
  });
});
