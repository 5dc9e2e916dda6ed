import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AutoCompaction, EtcdClusterProps, EtcdImage, LogLevel, PvcRetention, ResourcesPreset } from '../src';
import { validateAll, validateManifest } from './schema';
import { synthCluster } from './util';

/** Prop combinations that together touch every core prop group. */
const MATRIX: { [name: string]: EtcdClusterProps } = {
  'defaults': {},
  'single member': { replicas: 1 },
  'five members with a budget of 1': { replicas: 5, podDisruptionBudget: { maxUnavailable: 1 } },
  'even member count': { replicas: 4 },
  'no persistence': { persistence: { enabled: false, emptyDirSizeLimit: Size.gibibytes(3) } },
  'adopted volumes': {
    persistence: { size: Size.gibibytes(20), storageClassName: '', mountPath: '/bitnami/etcd', retainWhenScaled: PvcRetention.DELETE, selector: { a: 'b' } },
    securityContext: { fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
  },
  'tuned etcd': {
    heartbeatInterval: Duration.millis(200),
    electionTimeout: Duration.seconds(2),
    snapshotCount: 20000,
    logLevel: LogLevel.DEBUG,
    quotaBackendBytes: Size.gibibytes(6),
    autoCompaction: AutoCompaction.revision(10000),
    maxRequestBytes: Size.mebibytes(4),
    maxProcs: 2,
  },
  'periodic compaction, custom ports': { autoCompaction: AutoCompaction.fromValues('periodic', '10m'), ports: { client: 3379, peer: 3380, metrics: 3381 } },
  'load balancer': {
    clientService: { type: kplus.ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['10.0.0.0/8'], extraPorts: [{ name: 'x', port: 9000 }] },
  },
  'node port': { clientService: { type: kplus.ServiceType.NODE_PORT, nodePort: 30379 } },
  'explicit resources': {
    resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { limit: Size.gibibytes(2) } },
  },
  'preset and probes': {
    resourcesPreset: ResourcesPreset.XXLARGE,
    probes: { startup: { failureThreshold: 120 }, liveness: { enabled: false }, readiness: { probe: kplus.Probe.fromHttpGet('/health', { port: 2381 }) } },
  },
  'pinned image': { image: EtcdImage.fromRegistry({ registry: 'registry.k8s.io', repository: 'etcd', tag: '3.6.14-0' }) },
  'diagnostic mode': { diagnosticMode: true, terminationGracePeriod: Duration.seconds(120) },
  'sidecar and extras': {
    sidecars: [{ name: 'backup', image: 'example/backup:1', portNumber: 8080 }],
    extraVolumeClaimTemplates: [{ name: 'wal', size: Size.gibibytes(1), mountPath: '/wal' }],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
    podLabels: { a: 'b' },
    podAnnotations: { c: 'd' },
    labels: { e: 'f' },
    annotations: { g: 'h' },
  },
};

describe('schema validation', () => {
  test.each(Object.entries(MATRIX))('%s: every object validates', (_name, props) => {
    validateAll(synthCluster(props).manifests);
    validateAll(synthCluster(props, null).manifests);
  });

  test('the validator rejects what Kubernetes would reject', () => {
    const { manifests } = synthCluster();
    const sts = structuredClone(manifests.find(m => m.kind === 'StatefulSet'));
    sts.spec.replicas = 'three';
    expect(() => validateManifest(sts)).toThrow(/StatefulSet\/etcd does not validate: .*replicas must be integer/);
    expect(() => validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema model for example.com\/v1 Widget/);
  });
});

describe('CRD schema validation', () => {
  const podMonitor = (endpoint: object) => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'p' },
    spec: { selector: { matchLabels: { a: 'b' } }, podMetricsEndpoints: [endpoint] },
  });

  test('a valid custom resource passes both the model and the vendored CRD', () => {
    expect(() => validateManifest(podMonitor({ port: 'metrics', interval: '30s' }))).not.toThrow();
  });

  test('an invalid custom resource is refused', () => {
    expect(() => validateManifest(podMonitor({ port: 'metrics', interval: 'soon' }))).toThrow(/PodMonitor\/p does not validate/);
  });
});
