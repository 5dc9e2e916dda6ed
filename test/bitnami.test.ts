import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { AuthTokenType, EtcdClusterProps, LogLevel, ResourcesPreset } from '../src';
import { validateAll } from './schema';
import { container, envOf, find, findAll, Manifest, memberPod } from './util';
import { BitnamiMigrationOptions, BitnamiValues, _unreadBitnamiValues } from '../src/bitnami';
import { EtcdCluster } from '../src/etcd-cluster';

// The chart's parameters, copied from the chart's values.yaml (12.0.20): names in order and sections, defaults.
const CHART: {
  sections: { title: string; parameters: string[] }[];
  skipped: string[];
  undeclared: string[];
  defaults: { [name: string]: unknown };
} = JSON.parse(fs.readFileSync(path.join(__dirname, 'bitnami-values.json'), 'utf-8'));
const PARAMETERS = CHART.sections.flatMap(s => s.parameters);

const RELEASE: BitnamiMigrationOptions = { releaseName: 'my-release' };

interface Migrated {
  readonly chart: Chart;
  readonly props: EtcdClusterProps;
  readonly cluster: EtcdCluster;
  readonly manifests: Manifest[];
}

/** Maps `values`, builds the cluster in a chart of `namespace`, synthesizes and validates every object. */
function migrate(values: unknown, options: BitnamiMigrationOptions = RELEASE, ns: string | null = 'default'): Migrated {
  const namespace = ns ?? undefined;
  const chart = new Chart(Testing.app(), 'test', { namespace });
  const props = BitnamiValues.toProps(chart, values, options);
  const cluster = new EtcdCluster(chart, 'etcd', props);
  const manifests = Testing.synth(chart);
  validateAll(manifests);
  expect(_unreadBitnamiValues(new Chart(Testing.app(), 'unread', { namespace }), values, options)).toEqual([]);
  return { chart, props, cluster, manifests };
}

/** The error `toProps` throws for `values`. */
function problems(values: unknown, options: BitnamiMigrationOptions = RELEASE, ns: string | null = 'default'): string {
  const namespace = ns ?? undefined;
  const chart = new Chart(Testing.app(), 'test', { namespace });
  expect(_unreadBitnamiValues(new Chart(Testing.app(), 'unread', { namespace }), values, options)).toEqual([]);
  try {
    BitnamiValues.toProps(chart, values, options);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected toProps to throw');
}

/** The reported paths of an error message. */
function reported(message: string): string[] {
  return [...message.matchAll(/^ {2}- `([^`]+)`/gm)].map(m => m[1]);
}

/** A nested values object from dotted paths. */
function nested(flat: { [path: string]: unknown }): { [key: string]: unknown } {
  const root: { [key: string]: unknown } = {};
  for (const [p, v] of Object.entries(flat)) {
    const parts = p.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as { [key: string]: unknown };
    }
    node[parts[parts.length - 1]] = v;
  }
  return root;
}

function sts(m: Migrated, name = 'my-release-etcd'): Manifest {
  return find(m.manifests, 'StatefulSet', name);
}

function etcd(m: Migrated, name = 'my-release-etcd'): Manifest {
  return container(memberPod(m.manifests, name), 'etcd');
}

describe('chart defaults', () => {
  test('an empty values object and a complete copy of values.yaml map without error to the same props', () => {
    const full = nested(CHART.defaults);
    const empty = migrate({});
    const copy = migrate(full);
    expect(JSON.stringify(copy.manifests)).toEqual(JSON.stringify(empty.manifests));
    expect(migrate(undefined).manifests.length).toBe(empty.manifests.length);
  });

  test('the defaults give the chart\'s cluster: 1 member, auth with the chart\'s Secrets, JWT tokens, the chart\'s token', () => {
    const { props, manifests } = migrate({});
    expect(props.replicas).toBe(1);
    expect(props.initialClusterToken).toBe('etcd-cluster-k8s');
    expect(props.auth?.tokenType).toBe(AuthTokenType.JWT);
    expect(props.auth?.rootPassword?.secret.name).toBe('my-release-etcd');
    expect(props.auth?.rootPassword?.key).toBe('etcd-root-password');
    expect(props.auth?.jwtPrivateKey?.secret.name).toBe('my-release-etcd-jwt-token');
    expect(props.auth?.jwtPrivateKey?.key).toBe('jwt-token.pem');
    // No PDB for a single member (the chart's 51% would block every drain).
    expect(findAll(manifests, 'PodDisruptionBudget')).toEqual([]);
    // The chart's NetworkPolicy opens the client port to any source.
    const policy = find(manifests, 'NetworkPolicy', 'my-release-etcd');
    expect(policy.spec.ingress.find((r: Manifest) => r.ports[0].port === 2379).from).toBeUndefined();
    // Secrets are references: nothing secret in the YAML.
    expect(findAll(manifests, 'Secret')).toEqual([]);
    expect(envOf(etcd({ manifests } as Migrated)).ETCD_AUTH_TOKEN).toBe('jwt,priv-key=/etc/etcd/jwt/jwt-key.pem,sign-method=RS256,ttl=10m');
  });

  test('every value is read, whatever the input', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'default' });
    expect(_unreadBitnamiValues(chart, {})).toEqual([]);
    expect(_unreadBitnamiValues(chart, nested({ 'auth.rbac.create': false, 'persistence.enabled': false, 'metrics.enabled': true }))).toEqual([]);
  });
});

describe('names match what the chart renders for release my-release', () => {
  const m = migrate({ replicaCount: 3 });

  test('StatefulSet, Services and claim template', () => {
    const set = sts(m);
    expect(set.spec.serviceName).toBe('my-release-etcd-headless');
    expect(set.spec.replicas).toBe(3);
    find(m.manifests, 'Service', 'my-release-etcd-headless');
    const client = find(m.manifests, 'Service', 'my-release-etcd');
    expect(client.spec.ports[0]).toMatchObject({ name: 'client', port: 2379 });
    // PVCs are <template>-<statefulset>-<ordinal>: data-my-release-etcd-<i>, the chart's.
    expect(set.spec.volumeClaimTemplates.map((t: Manifest) => t.metadata.name)).toEqual(['data']);
    expect(set.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8Gi');
  });

  test('uid 1001 and the data in /bitnami/etcd/data on the volume mounted at /bitnami/etcd', () => {
    const pod = memberPod(m.manifests, 'my-release-etcd');
    const c = etcd(m);
    expect(pod.securityContext).toMatchObject({ runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001 });
    expect(c.securityContext).toMatchObject({ runAsUser: 1001, runAsGroup: 1001 });
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/bitnami/etcd' });
    expect(envOf(c).ETCD_DATA_DIR).toBe('/bitnami/etcd/data');
  });

  test('member peer URLs are the chart\'s', () => {
    expect(m.cluster.peerUrls).toEqual([0, 1, 2].map(i => `http://my-release-etcd-${i}.my-release-etcd-headless.default.svc.cluster.local:2380`));
    expect(envOf(etcd(m)).ETCD_INITIAL_ADVERTISE_PEER_URLS)
      .toBe('http://$(POD_NAME).my-release-etcd-headless.$(POD_NAMESPACE).svc.cluster.local:2380');
    expect(m.cluster.clientEndpoint).toBe('http://my-release-etcd.default.svc.cluster.local:2379');
  });

  test('a release name with "etcd" in it, nameOverride and fullnameOverride', () => {
    expect(BitnamiValues.toProps(Testing.chart(), {}, { releaseName: 'etcd-prod' }).name).toBe('etcd-prod');
    expect(BitnamiValues.toProps(Testing.chart(), { nameOverride: 'kv' }, { releaseName: 'app' }).name).toBe('app-kv');
    expect(BitnamiValues.toProps(Testing.chart(), { fullnameOverride: 'store' }, { releaseName: 'app' }).name).toBe('store');
    // Without a release, the library derives a name and generates the secrets.
    const props = BitnamiValues.toProps(Testing.chart(), {});
    expect(props.name).toBeUndefined();
    expect(props.auth).toMatchObject({ generateRootPassword: true, generateJwtKey: true });
  });

  test('names the library cannot keep are reported', () => {
    const message = problems({}, { releaseName: 'a-very-long-release-name-that-goes-on-and-on' });
    expect(reported(message)).toEqual(['(options).releaseName']);
    expect(message).toMatch(/at most 44/);
  });
});

describe('global and common parameters', () => {
  test('registry, pull secrets, labels, annotations, cluster domain, diagnostic mode, password as env', () => {
    const m = migrate(nested({
      'global.imageRegistry': 'registry.example.com',
      'global.imagePullSecrets': ['pull-a', { name: 'pull-b' }],
      'image.pullSecrets': ['pull-a'],
      'commonLabels': { team: 'db' },
      'commonAnnotations': { owner: 'platform' },
      'clusterDomain': 'cluster.example',
      'diagnosticMode.enabled': true,
      'usePasswordFiles': false,
      'namespaceOverride': 'default',
    }));
    const pod = memberPod(m.manifests, 'my-release-etcd');
    expect(etcd(m).image).toBe('registry.example.com/etcd-development/etcd:v3.6.14');
    expect(container(pod, 'tools').image).toBe('registry.example.com/library/busybox:1.37.0-musl');
    expect(pod.imagePullSecrets).toEqual([{ name: 'pull-a' }, { name: 'pull-b' }]);
    expect(sts(m).metadata.labels.team).toBe('db');
    expect(sts(m).metadata.annotations).toEqual({ owner: 'platform' });
    expect(m.cluster.clientEndpoint).toBe('http://my-release-etcd.default.svc.cluster.example:2379');
    expect(etcd(m).command).toEqual(['/tools/bin/sleep', '2147483647']);
    expect(envOf(etcd(m)).ETCDK8S_ROOT_PASSWORD).toContain('secretKeyRef');
  });

  test('namespaceOverride, extraDeploy, OpenShift adaptation and diagnostic commands are reported', () => {
    const message = problems(nested({
      'namespaceOverride': 'other',
      'extraDeploy': [{ apiVersion: 'v1', kind: 'ConfigMap' }],
      'global.compatibility.openshift.adaptSecurityContext': 'force',
      'diagnosticMode.enabled': true,
      'diagnosticMode.command': ['bash'],
    }));
    expect(reported(message)).toEqual(['global.compatibility.openshift.adaptSecurityContext', 'namespaceOverride', 'extraDeploy',
      'diagnosticMode.command']);
    expect(message).toMatch(/namespace: 'other'/);
  });
});

describe('etcd, auth and TLS parameters', () => {
  test('a Bitnami image becomes the upstream image; a Bitnami tag keeps its etcd version', () => {
    expect(etcd(migrate(nested({ 'image.repository': 'bitnamilegacy/etcd' }))).image).toBe('gcr.io/etcd-development/etcd:v3.6.14');
    expect(etcd(migrate(nested({ 'image.repository': 'bitnamilegacy/etcd', 'image.tag': '3.5.17-debian-12-r0' }))).image)
      .toBe('gcr.io/etcd-development/etcd:v3.5.17');
    const mirror = migrate(nested({ 'image.registry': 'quay.io', 'image.repository': 'coreos/etcd', 'image.tag': 'v3.6.14', 'image.pullPolicy': 'Always' }));
    expect(etcd(mirror).image).toBe('quay.io/coreos/etcd:v3.6.14');
    expect(etcd(mirror).imagePullPolicy).toBe('Always');
    expect(reported(problems(nested({ 'image.tag': '3.4.27-debian-11-r0' })))).toEqual(['image.tag']);
    expect(reported(problems(nested({ 'image.repository': 'myorg/etcd' })))).toEqual(['image.tag']);
  });

  test('debug and log level, compaction, token, GOMAXPROCS and tuning variables', () => {
    const m = migrate(nested({
      logLevel: 'warn',
      autoCompactionMode: 'revision',
      autoCompactionRetention: '1000',
      initialClusterToken: 'prod-token',
      maxProcs: 4,
      extraEnvVars: [
        { name: 'ETCD_SNAPSHOT_COUNT', value: '50000' },
        { name: 'ETCD_HEARTBEAT_INTERVAL', value: '200' },
        { name: 'ETCD_ELECTION_TIMEOUT', value: '2000' },
        { name: 'ETCD_QUOTA_BACKEND_BYTES', value: '4294967296' },
        { name: 'ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL', value: '5s' },
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'app', key: 'k' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      ],
      extraEnvVarsCM: 'etcd-env',
      extraEnvVarsSecret: 'etcd-env-secret',
    }));
    const env = envOf(etcd(m));
    expect(env).toMatchObject({
      ETCD_LOG_LEVEL: 'warn',
      ETCD_AUTO_COMPACTION_MODE: 'revision',
      ETCD_AUTO_COMPACTION_RETENTION: '1000',
      ETCD_INITIAL_CLUSTER_TOKEN: 'prod-token',
      GOMAXPROCS: '4',
      ETCD_SNAPSHOT_COUNT: '50000',
      ETCD_HEARTBEAT_INTERVAL: '200',
      ETCD_ELECTION_TIMEOUT: '2000',
      ETCD_QUOTA_BACKEND_BYTES: '4294967296',
      ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL: '5s',
    });
    expect(env.FROM_SECRET).toBe(JSON.stringify({ secretKeyRef: { key: 'k', name: 'app' } }));
    expect(etcd(m).envFrom).toEqual([{ configMapRef: { name: 'etcd-env' } }, { secretRef: { name: 'etcd-env-secret' } }]);
    expect(m.props.logLevel).toBe(LogLevel.WARN);
    expect(envOf(etcd(migrate(nested({ 'image.debug': true, 'logLevel': 'warn' })))).ETCD_LOG_LEVEL).toBe('debug');
  });

  test('environment the library sets itself or only Bitnami\'s scripts read is reported, with the reason', () => {
    const message = problems(nested({
      extraEnvVars: [
        { name: 'ETCD_DATA_DIR', value: '/data' },
        { name: 'ALLOW_NONE_AUTHENTICATION', value: 'yes' },
        { name: 'ETCD_CERT_FILE', value: '/x' },
        { name: 'ETCDCTL_API', value: '3' },
      ],
      configuration: 'name: x',
      command: ['/opt/bitnami/scripts/etcd/run.sh'],
    }));
    expect(reported(message)).toEqual(['configuration', 'extraEnvVars[0]', 'extraEnvVars[1]', 'extraEnvVars[2]', 'extraEnvVars[3]', 'command']);
    expect(message).toMatch(/ETCD_DATA_DIR: set by the library; use `persistence.mountPath`/);
    expect(message).toMatch(/ALLOW_NONE_AUTHENTICATION: read only by the Bitnami image's scripts/);
  });

  test('root password and JWT key from existing Secrets, simple tokens, RBAC off', () => {
    const m = migrate(nested({
      'auth.rbac.existingSecret': 'etcd-root',
      'auth.rbac.existingSecretPasswordKey': 'password',
      'auth.token.privateKey.existingSecret': 'etcd-jwt',
      'auth.token.privateKey.filename': 'key.pem',
      'auth.token.signMethod': 'ES256',
      'auth.token.ttl': '1h',
    }));
    const volumes = memberPod(m.manifests, 'my-release-etcd').volumes;
    expect(volumes).toContainEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: 'etcd-root', items: [{ key: 'password', path: 'root-password' }] }) }));
    expect(volumes).toContainEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: 'etcd-jwt', items: [{ key: 'key.pem', path: 'jwt-key.pem' }] }) }));
    expect(envOf(etcd(m)).ETCD_AUTH_TOKEN).toBe('jwt,priv-key=/etc/etcd/jwt/jwt-key.pem,sign-method=ES256,ttl=1h');

    expect(envOf(etcd(migrate(nested({ 'auth.token.type': 'simple' })))).ETCD_AUTH_TOKEN).toBe('simple');
    expect(envOf(etcd(migrate(nested({ 'auth.token.enabled': false })))).ETCD_AUTH_TOKEN).toBe('simple');
    const off = migrate(nested({ 'auth.rbac.create': false, 'auth.rbac.rootPassword': 'ignored' }));
    expect(off.props.auth).toBeUndefined();
    expect(envOf(etcd(off)).ETCD_AUTH_TOKEN).toBeUndefined();
    // The legacy alias turns RBAC on too.
    expect(BitnamiValues.toProps(Testing.chart(), nested({ 'auth.rbac.create': false, 'auth.rbac.enabled': true }), RELEASE).auth).toBeDefined();
  });

  test('a new cluster generates the password and the JWT key, as the chart does on install', () => {
    const m = migrate({}, { releaseName: 'my-release', adopt: false });
    expect(findAll(m.manifests, 'Secret').map((s: Manifest) => s.metadata.name).sort()).toEqual(['my-release-etcd-auth', 'my-release-etcd-jwt']);
  });

  test('literal passwords, HMAC keys it cannot generate and a closed cluster without RBAC are reported', () => {
    const message = problems(nested({ 'auth.rbac.rootPassword': 'secret', 'auth.token.signMethod': 'HS256' }), { releaseName: 'my-release', adopt: false });
    expect(reported(message)).toEqual(['auth.rbac.rootPassword', 'auth.token.signMethod']);
    expect(reported(problems(nested({ 'auth.rbac.create': false, 'auth.rbac.allowNoneAuthentication': false })))).toEqual(['auth.rbac.allowNoneAuthentication']);
    expect(reported(problems(nested({ 'auth.token.signMethod': 'XX1', 'auth.token.ttl': 'soon' })))).toEqual(['auth.token.signMethod', 'auth.token.ttl']);
  });

  test('client TLS from a Secret with the chart\'s file names and certificate auth; peer auto TLS', () => {
    const m = migrate(nested({
      'auth.client.secureTransport': true,
      'auth.client.existingSecret': 'client-tls',
      'auth.client.enableAuthentication': true,
      'auth.peer.secureTransport': true,
      'auth.peer.useAutoTLS': true,
    }));
    const env = envOf(etcd(m));
    expect(env).toMatchObject({
      ETCD_CERT_FILE: '/etc/etcd/tls/server/cert.pem',
      ETCD_KEY_FILE: '/etc/etcd/tls/server/key.pem',
      ETCD_TRUSTED_CA_FILE: '/etc/etcd/tls/server/ca.crt',
      ETCD_CLIENT_CERT_AUTH: 'true',
      ETCD_PEER_AUTO_TLS: 'true',
    });
    expect(m.cluster.peerUrls[0]).toBe('https://my-release-etcd-0.my-release-etcd-headless.default.svc.cluster.local:2380');
    expect(m.cluster.clientEndpoint).toMatch(/^https:/);
  });

  test('peer TLS from a Secret keeps the chart\'s "no peer certificate auth" unless enabled', () => {
    const m = migrate(nested({ 'auth.peer.secureTransport': true, 'auth.peer.existingSecret': 'peer-tls', 'auth.peer.caFilename': 'root.pem' }));
    const env = envOf(etcd(m));
    expect(env.ETCD_PEER_CLIENT_CERT_AUTH).toBeUndefined();
    expect(env.ETCD_PEER_TRUSTED_CA_FILE).toBe('/etc/etcd/tls/peer/root.pem');
    const auth = migrate(nested({ 'auth.peer.secureTransport': true, 'auth.peer.existingSecret': 'peer-tls', 'auth.peer.enableAuthentication': true }));
    expect(envOf(etcd(auth)).ETCD_PEER_CLIENT_CERT_AUTH).toBe('true');
  });

  test('TLS the chart cannot render or that has no CA is reported', () => {
    const message = problems(nested({
      'auth.client.secureTransport': true,
      'auth.peer.secureTransport': true,
      'auth.peer.useAutoTLS': true,
      'auth.peer.enableAuthentication': true,
    }));
    expect(reported(message)).toEqual(['auth.client.existingSecret', 'auth.peer.enableAuthentication']);
  });
});

describe('statefulset parameters', () => {
  test('replicas, update strategy, resources, scheduling, grace period, classes and host aliases', () => {
    const m = migrate(nested({
      'replicaCount': 3,
      'updateStrategy.type': 'OnDelete',
      'resources': { requests: { cpu: '500m', memory: '1Gi' }, limits: { 'cpu': 2, 'memory': '2Gi', 'ephemeral-storage': '1G' } },
      'podAntiAffinityPreset': 'hard',
      'nodeAffinityPreset.type': 'soft',
      'nodeAffinityPreset.key': 'node-role.kubernetes.io/etcd',
      'nodeAffinityPreset.values': ['true'],
      'nodeSelector': { 'kubernetes.io/os': 'linux' },
      'tolerations': [{ key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoSchedule' }],
      'topologySpreadConstraints': [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
      'terminationGracePeriodSeconds': 60,
      'priorityClassName': 'system-cluster-critical',
      'schedulerName': 'custom',
      'runtimeClassName': 'gvisor',
      'shareProcessNamespace': true,
      'hostAliases': [{ ip: '10.0.0.1', hostnames: ['a.example'] }],
      'podLabels': { tier: 'db' },
      'podAnnotations': { note: 'x' },
      'persistentVolumeClaimRetentionPolicy.enabled': true,
      'persistentVolumeClaimRetentionPolicy.whenScaled': 'Delete',
    }));
    const set = sts(m);
    const pod = set.spec.template.spec;
    expect(set.spec.replicas).toBe(3);
    expect(set.spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Delete' });
    expect(etcd(m).resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { 'cpu': '2', 'memory': '2Gi', 'ephemeral-storage': '976563Ki' },
    });
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions)
      .toEqual([{ key: 'node-role.kubernetes.io/etcd', operator: 'In', values: ['true'] }]);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoSchedule' }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1 });
    expect(pod).toMatchObject({
      terminationGracePeriodSeconds: 60,
      priorityClassName: 'system-cluster-critical',
      schedulerName: 'custom',
      runtimeClassName: 'gvisor',
      shareProcessNamespace: true,
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.example'] }],
    });
    expect(set.spec.template.metadata.labels.tier).toBe('db');
    expect(set.spec.template.metadata.annotations.note).toBe('x');
  });

  test('a custom affinity that selects the release\'s own pods becomes "this cluster\'s members"', () => {
    const m = migrate(nested({
      podAntiAffinityPreset: 'soft',
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'my-release', 'app.kubernetes.io/name': 'etcd' } },
            topologyKey: 'topology.kubernetes.io/zone',
          }],
        },
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['spot'] }] }],
          },
        },
      },
    }));
    const affinity = memberPod(m.manifests, 'my-release-etcd').affinity;
    expect(affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{
      labelSelector: { matchLabels: sts(m).spec.selector.matchLabels },
      topologyKey: 'topology.kubernetes.io/zone',
    }]);
    expect(affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms)
      .toEqual([{ matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['spot'] }] }]);
    expect(affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  test('probes: the chart\'s defaults give the library\'s probes; changes and custom probes are mapped', () => {
    const defaults = etcd(migrate({}));
    expect(defaults.livenessProbe).toMatchObject({ httpGet: { path: '/livez', port: 'metrics' }, initialDelaySeconds: 0, periodSeconds: 10 });
    expect(defaults.startupProbe.httpGet.path).toBe('/readyz');

    const c = etcd(migrate(nested({
      'livenessProbe.periodSeconds': 20,
      'livenessProbe.failureThreshold': 6,
      'readinessProbe.enabled': false,
      'startupProbe.enabled': true,
      'startupProbe.failureThreshold': 120,
      'customLivenessProbe': { httpGet: { path: '/health', port: 'metrics' }, periodSeconds: 15 },
    })));
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/health', port: 2381 }, periodSeconds: 15 });
    expect(c.readinessProbe).toBeUndefined();
    expect(c.startupProbe).toMatchObject({ failureThreshold: 120, periodSeconds: 5 });
    const timings = etcd(migrate(nested({ 'livenessProbe.periodSeconds': 20, 'livenessProbe.failureThreshold': 6 })));
    expect(timings.livenessProbe).toMatchObject({ periodSeconds: 20, failureThreshold: 6, initialDelaySeconds: 0 });
  });

  test('commands for Bitnami\'s image in probes and hooks are reported; etcdctl and busybox are fine', () => {
    const message = problems(nested({
      customReadinessProbe: { exec: { command: ['/opt/bitnami/scripts/etcd/healthcheck.sh'] } },
      lifecycleHooks: { preStop: { exec: { command: ['/bin/bash', '-c', 'sleep 5'] } } },
    }));
    expect(reported(message)).toEqual(['lifecycleHooks.preStop.exec.command', 'customReadinessProbe.exec.command']);
    const ok = etcd(migrate(nested({
      lifecycleHooks: { preStop: { exec: { command: ['/tools/bin/sh', '-c', 'sleep 5'] } } },
      customStartupProbe: { exec: { command: ['etcdctl', 'endpoint', 'health'] }, failureThreshold: 30 },
    })));
    expect(ok.lifecycle.preStop.exec.command).toEqual(['/tools/bin/sh', '-c', 'sleep 5']);
    expect(ok.startupProbe).toMatchObject({ exec: { command: ['etcdctl', 'endpoint', 'health'] }, failureThreshold: 30 });
  });

  test('extra volumes, mounts, claim templates, init containers and sidecars', () => {
    const m = migrate(nested({
      extraVolumes: [
        { name: 'backup-config', configMap: { name: 'backup' } },
        { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      ],
      extraVolumeMounts: [{ name: 'backup-config', mountPath: '/etc/backup', readOnly: true }, { name: 'wal', mountPath: '/wal' }],
      extraVolumeClaimTemplates: [{ metadata: { name: 'wal' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
      initContainers: [{ name: 'wait', image: 'busybox:1.37', command: ['sh', '-c', 'true'] }],
      sidecars: [{
        name: 'backup',
        image: 'example/backup:1',
        env: [{ name: 'MODE', value: 'hourly' }],
        ports: [{ name: 'http', containerPort: 8080 }],
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        resources: { requests: { cpu: '10m', memory: '32Mi' } },
        securityContext: { runAsUser: 1001 },
      }],
    }));
    const pod = memberPod(m.manifests, 'my-release-etcd');
    expect(etcd(m).volumeMounts).toEqual(expect.arrayContaining([
      { name: 'backup-config', mountPath: '/etc/backup', readOnly: true }, { name: 'wal', mountPath: '/wal' },
    ]));
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }));
    expect(sts(m).spec.volumeClaimTemplates.map((t: Manifest) => t.metadata.name)).toEqual(['data', 'wal']);
    expect(pod.initContainers.map((c: Manifest) => c.name)).toEqual(['tools', 'wait']);
    const sidecar = container(pod, 'backup');
    expect(sidecar).toMatchObject({ image: 'example/backup:1', ports: [{ name: 'http', containerPort: 8080 }] });
    expect(sidecar.volumeMounts).toEqual([{ name: 'scratch', mountPath: '/scratch' }]);
  });

  test('raw Kubernetes objects: env sources, volume kinds, pod affinity to other pods, node queries, TCP probes', () => {
    const m = migrate(nested({
      extraEnvVars: [
        { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level', optional: true } } },
        { name: 'ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      ],
      extraVolumes: [
        { name: 'certs', secret: { secretName: 'extra-certs', defaultMode: 288, items: [{ key: 'a', path: 'a.pem' }] } },
        { name: 'archive', persistentVolumeClaim: { claimName: 'archive', readOnly: true } },
        { name: 'host', hostPath: { path: '/var/run/x', type: 'Directory' } },
      ],
      extraVolumeMounts: [{ name: 'certs', mountPath: '/certs' }, { name: 'archive', mountPath: '/archive', subPath: 'etcd' }],
      affinity: {
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{
            weight: 50,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
              namespaces: ['apps'],
              topologyKey: 'topology.kubernetes.io/zone',
            },
          }],
        },
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{
            weight: 10, preference: { matchExpressions: [{ key: 'cpu', operator: 'Gt', values: ['8'] }, { key: 'ssd', operator: 'Exists' }] },
          }],
        },
      },
      customLivenessProbe: { tcpSocket: { port: 'client' }, periodSeconds: 20 },
    }));
    const pod = memberPod(m.manifests, 'my-release-etcd');
    const env = etcd(m).env;
    expect(env).toContainEqual({ name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level', optional: true } } });
    expect(env).toContainEqual({ name: 'ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } });
    expect(env).toContainEqual({ name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } });
    expect(pod.volumes).toEqual(expect.arrayContaining([
      { name: 'certs', secret: { secretName: 'extra-certs', defaultMode: 288, items: [{ key: 'a', path: 'a.pem' }] } },
      { name: 'archive', persistentVolumeClaim: { claimName: 'archive', readOnly: true } },
      { name: 'host', hostPath: { path: '/var/run/x', type: 'Directory' } },
    ]));
    expect(etcd(m).volumeMounts).toEqual(expect.arrayContaining([{ name: 'archive', mountPath: '/archive', subPath: 'etcd' }]));
    expect(pod.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{
      weight: 50,
      podAffinityTerm: {
        labelSelector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
        namespaces: ['apps'],
        topologyKey: 'topology.kubernetes.io/zone',
      },
    }]);
    expect(pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{
      weight: 10, preference: { matchExpressions: [{ key: 'cpu', operator: 'Gt', values: ['8'] }, { key: 'ssd', operator: 'Exists' }] },
    }]);
    expect(etcd(m).livenessProbe).toMatchObject({ tcpSocket: { port: 2379 }, periodSeconds: 20 });
  });

  test('mounts of the chart\'s own volumes, unknown container fields and less restricted security contexts are reported', () => {
    const message = problems(nested({
      'extraVolumeMounts': [{ name: 'data', mountPath: '/backup' }],
      'sidecars': [{ name: 'x', image: 'x:1', stdin: true }],
      'podManagementPolicy': 'OrderedReady',
      'automountServiceAccountToken': true,
      'containerSecurityContext.privileged': true,
      'containerSecurityContext.readOnlyRootFilesystem': false,
      'containerSecurityContext.runAsUser': 0,
      'podSecurityContext.enabled': false,
    }));
    expect(reported(message)).toEqual([
      'podManagementPolicy', 'automountServiceAccountToken', 'podSecurityContext.enabled', 'containerSecurityContext.runAsUser',
      'containerSecurityContext.privileged', 'containerSecurityContext.readOnlyRootFilesystem', 'extraVolumeMounts[0].name', 'sidecars[0].stdin',
    ]);
  });

  test('another uid and fsGroup pass through to members and Jobs', () => {
    const m = migrate(nested({
      'containerSecurityContext.runAsUser': 2000,
      'containerSecurityContext.runAsGroup': 2000,
      'podSecurityContext.fsGroup': 2000,
      'podSecurityContext.fsGroupChangePolicy': 'OnRootMismatch',
    }));
    expect(memberPod(m.manifests, 'my-release-etcd').securityContext).toMatchObject({ runAsUser: 2000, fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch' });
    expect(findAll(m.manifests, 'Job')[0].spec.template.spec.securityContext).toMatchObject({ runAsUser: 2000, fsGroup: 2000 });
  });
});

describe('traffic exposure parameters', () => {
  test('a LoadBalancer client Service', () => {
    const m = migrate(nested({
      'service.type': 'LoadBalancer',
      'service.ports.client': 12379,
      'service.nodePorts.client': 32379,
      'service.loadBalancerIP': '10.1.2.3',
      'service.loadBalancerClass': 'metallb',
      'service.loadBalancerSourceRanges': ['10.0.0.0/8'],
      'service.externalTrafficPolicy': 'Local',
      'service.externalIPs': ['192.0.2.1'],
      'service.annotations': { 'lb.example/x': 'y' },
      'service.sessionAffinity': 'ClientIP',
      'service.sessionAffinityConfig': { clientIP: { timeoutSeconds: 600 } },
      'service.extraPorts': [{ name: 'sidecar', port: 8080, targetPort: 8080 }],
      'service.headless.annotations': { 'dns.example/ttl': '5' },
    }));
    const svc = find(m.manifests, 'Service', 'my-release-etcd');
    expect(svc.metadata.annotations).toEqual({ 'lb.example/x': 'y' });
    expect(svc.spec).toMatchObject({
      type: 'LoadBalancer',
      loadBalancerIP: '10.1.2.3',
      loadBalancerClass: 'metallb',
      loadBalancerSourceRanges: ['10.0.0.0/8'],
      externalTrafficPolicy: 'Local',
      externalIPs: ['192.0.2.1'],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    });
    expect(svc.spec.ports).toEqual([
      { name: 'client', port: 12379, targetPort: 'client', nodePort: 32379 },
      { name: 'sidecar', port: 8080, targetPort: 8080 },
    ]);
    expect(find(m.manifests, 'Service', 'my-release-etcd-headless').metadata.annotations).toEqual({ 'dns.example/ttl': '5' });
  });

  test('settings for other Service types are ignored, as in the chart', () => {
    const svc = find(migrate(nested({ 'service.nodePorts.client': 32379, 'service.loadBalancerIP': '10.1.2.3', 'service.clusterIP': 'None' })).manifests,
      'Service', 'my-release-etcd');
    expect(svc.spec).toEqual(expect.objectContaining({ type: 'ClusterIP', clusterIP: 'None' }));
    expect(svc.spec.loadBalancerIP).toBeUndefined();
    expect(svc.spec.ports[0].nodePort).toBeUndefined();
  });

  test('no client Service, peer ports and port names are reported', () => {
    const message = problems(nested({
      'service.type': 'NodePort',
      'service.enabled': false,
      'service.ports.peer': 12380,
      'service.nodePorts.peer': 32380,
      'service.clientPortNameOverride': 'etcd-client',
      'service.extraPorts': [{ name: 'x', port: 1, targetPort: 'named' }],
    }));
    expect(reported(message)).toEqual(['service.enabled', 'service.ports.peer', 'service.nodePorts.peer', 'service.clientPortNameOverride',
      'service.extraPorts[0].targetPort']);
  });
});

describe('persistence parameters', () => {
  test('storage class, size, access modes, labels, annotations and selector', () => {
    const claim = sts(migrate(nested({
      'persistence.storageClass': 'fast',
      'persistence.size': '20Gi',
      'persistence.accessModes': ['ReadWriteOncePod'],
      'persistence.labels': { backup: 'yes' },
      'persistence.annotations': { note: 'etcd' },
      'persistence.selector': { matchLabels: { disk: 'ssd' } },
    }))).spec.volumeClaimTemplates[0];
    expect(claim).toEqual({
      metadata: { name: 'data', labels: { backup: 'yes' }, annotations: { note: 'etcd' } },
      spec: {
        accessModes: ['ReadWriteOncePod'],
        storageClassName: 'fast',
        selector: { matchLabels: { disk: 'ssd' } },
        resources: { requests: { storage: '20Gi' } },
      },
    });
  });

  test('the chart\'s storage class precedence and "-"', () => {
    const cls = (flat: { [k: string]: unknown }) => sts(migrate(nested(flat))).spec.volumeClaimTemplates[0].spec.storageClassName;
    expect(cls({ 'global.defaultStorageClass': 'a' })).toBe('a');
    expect(cls({ 'global.defaultStorageClass': 'a', 'persistence.storageClass': 'b' })).toBe('b');
    expect(cls({ 'global.storageClass': 'c', 'persistence.storageClass': 'b' })).toBe('c');
    expect(cls({ 'persistence.storageClass': '-' })).toBe('');
  });

  test('a small volume gets a quota that fits; no persistence gives an emptyDir at the same path', () => {
    expect(envOf(etcd(migrate(nested({ 'persistence.size': '1Gi' })))).ETCD_QUOTA_BACKEND_BYTES).toBe(`${2 ** 30}`);
    const m = migrate(nested({ 'persistence.enabled': false }));
    expect(sts(m).spec.volumeClaimTemplates).toBeUndefined();
    expect(memberPod(m.manifests, 'my-release-etcd').volumes).toContainEqual({ name: 'data', emptyDir: {} });
    expect(etcd(m).volumeMounts).toContainEqual({ name: 'data', mountPath: '/bitnami/etcd' });
  });
});

describe('volume permissions parameters', () => {
  test('the init container is reported; its settings alone are not', () => {
    expect(reported(problems(nested({ 'volumePermissions.enabled': true })))).toEqual(['volumePermissions.enabled']);
    const m = migrate(nested({ 'volumePermissions.image.tag': 'latest', 'volumePermissions.resourcesPreset': 'small', 'volumePermissions.image.pullSecrets': ['p'] }));
    expect(memberPod(m.manifests, 'my-release-etcd').initContainers.map((c: Manifest) => c.name)).toEqual(['tools']);
    expect(memberPod(m.manifests, 'my-release-etcd').imagePullSecrets).toEqual([{ name: 'p' }]);
  });
});

describe('network policy parameters', () => {
  test('allowExternal false admits the chart\'s client label and namespaces; extra rules', () => {
    const m = migrate(nested({
      'networkPolicy.allowExternal': false,
      'networkPolicy.allowExternalEgress': false,
      'networkPolicy.ingressNSMatchLabels': { team: 'apps' },
      'networkPolicy.ingressNSPodMatchLabels': { role: 'api' },
      'networkPolicy.extraIngress': [{ ports: [{ port: 9999 }], from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      'networkPolicy.extraEgress': [{ ports: [{ port: 443, protocol: 'TCP' }], to: [{ namespaceSelector: { matchLabels: { name: 'vault' } } }] }],
    }));
    const spec = find(m.manifests, 'NetworkPolicy', 'my-release-etcd').spec;
    const client = spec.ingress.find((r: Manifest) => r.ports[0].port === 2379);
    expect(client.from).toEqual(expect.arrayContaining([
      { podSelector: { matchLabels: { 'my-release-etcd-client': 'true' } } },
      { namespaceSelector: { matchLabels: { team: 'apps' } }, podSelector: { matchLabels: { role: 'api' } } },
    ]));
    expect(spec.ingress).toContainEqual({ ports: [{ port: 9999 }], from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] });
    expect(spec.egress).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }], to: [{ namespaceSelector: { matchLabels: { name: 'vault' } }, podSelector: {} }] });
  });

  test('a disabled policy; settings without effect in the chart are ignored', () => {
    expect(findAll(migrate(nested({ 'networkPolicy.enabled': false, 'networkPolicy.ingressNSMatchLabels': { a: 'b' } })).manifests, 'NetworkPolicy')).toEqual([]);
    const spec = find(migrate(nested({ 'networkPolicy.extraEgress': [{ to: [{ podSelector: { matchLabels: { a: 'b' } } }] }] })).manifests,
      'NetworkPolicy', 'my-release-etcd').spec;
    expect(spec.egress).toEqual([{}]);
  });
});

describe('metrics parameters', () => {
  test('metrics with a PodMonitor in the monitoring namespace and a PrometheusRule with the chart\'s rules', () => {
    const m = migrate(nested({
      'metrics.enabled': true,
      'metrics.podMonitor.enabled': true,
      'metrics.podMonitor.interval': '15s',
      'metrics.podMonitor.scrapeTimeout': '10s',
      'metrics.podMonitor.additionalLabels': { release: 'prom' },
      'metrics.podMonitor.relabelings': [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }],
      'metrics.prometheusRule.enabled': true,
      'metrics.prometheusRule.rules': [
        { alert: 'etcdNoLeader', expr: 'etcd_server_has_leader == 0', for: '1m', labels: { severity: 'critical' }, annotations: { summary: 'no leader' } },
        { alert: 'EtcdSlow', expr: 'vector(1)', labels: { team: 'db' } },
      ],
    }));
    const monitor = find(m.manifests, 'PodMonitor', 'my-release-etcd');
    expect(monitor.metadata.namespace).toBe('monitoring');
    expect(monitor.metadata.labels.release).toBe('prom');
    expect(monitor.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'metrics', interval: '15s', scrapeTimeout: '10s', scheme: 'http' });
    expect(monitor.spec.podMetricsEndpoints[0].relabelings).toContainEqual({ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' });
    const rules = find(m.manifests, 'PrometheusRule', 'my-release-etcd').spec.groups[0].rules;
    expect(rules.filter((r: Manifest) => r.alert === 'etcdNoLeader')).toEqual([expect.objectContaining({ expr: 'etcd_server_has_leader == 0', for: '1m' })]);
    expect(rules.find((r: Manifest) => r.alert === 'EtcdSlow').labels).toMatchObject({ team: 'db', severity: 'warning' });
    expect(memberPod(m.manifests, 'my-release-etcd')).toBeDefined();
    expect(sts(m).spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '2381' });
  });

  test('a separate endpoint keeps port 9090; HTTPS scrapes the client port; custom annotations', () => {
    const m = migrate(nested({
      'metrics.enabled': true,
      'metrics.useSeparateEndpoint': true,
      'metrics.podAnnotations': { 'example.com/scrape': 'yes' },
      'auth.client.secureTransport': true,
      'auth.client.existingSecret': 'client-tls',
      'metrics.podMonitor.enabled': true,
      'metrics.podMonitor.namespace': 'default',
      'metrics.podMonitor.scheme': 'https',
      'metrics.podMonitor.tlsConfig': { ca: { secret: { name: 'client-tls', key: 'ca.crt' } }, serverName: 'my-release-etcd' },
    }));
    expect(etcd(m).ports).toContainEqual({ name: 'metrics', containerPort: 9090, protocol: 'TCP' });
    expect(envOf(etcd(m)).ETCD_LISTEN_METRICS_URLS).toBe('http://0.0.0.0:9090');
    expect(sts(m).spec.template.metadata.annotations).toEqual(expect.objectContaining({ 'example.com/scrape': 'yes' }));
    expect(sts(m).spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    const endpoint = find(m.manifests, 'PodMonitor', 'my-release-etcd').spec.podMetricsEndpoints[0];
    expect(endpoint).toMatchObject({ port: 'client', scheme: 'https', tlsConfig: { ca: { secret: { name: 'client-tls', key: 'ca.crt' } }, serverName: 'my-release-etcd' } });
  });

  test('monitors without metrics.enabled render nothing, as in the chart; a monitor in another namespace needs the Chart\'s', () => {
    const m = migrate(nested({ 'metrics.podMonitor.enabled': true, 'metrics.prometheusRule.enabled': true }));
    expect(findAll(m.manifests, 'PodMonitor')).toEqual([]);
    expect(reported(problems(nested({ 'metrics.enabled': true, 'metrics.podMonitor.enabled': true }), RELEASE, null)))
      .toEqual(['metrics.podMonitor.namespace']);
  });
});

describe('snapshotting and disaster recovery parameters', () => {
  test('adopting a release keeps its snapshot claim', () => {
    const m = migrate(nested({
      'disasterRecovery.enabled': true,
      'disasterRecovery.cronjob.schedule': '0 */6 * * *',
      'disasterRecovery.cronjob.historyLimit': 3,
      'disasterRecovery.cronjob.snapshotHistoryLimit': 5,
      'disasterRecovery.cronjob.podLabels': { backup: 'etcd' },
      'disasterRecovery.cronjob.resourcesPreset': 'small',
      'disasterRecovery.cronjob.nodeSelector': { pool: 'system' },
      'disasterRecovery.cronjob.tolerations': [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      'disasterRecovery.pvc.subPath': 'etcd',
    }));
    const job = find(m.manifests, 'CronJob', 'my-release-etcd-snapshot');
    expect(job.spec).toMatchObject({ schedule: '0 */6 * * *', successfulJobsHistoryLimit: 3 });
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'snapshots', persistentVolumeClaim: { claimName: 'my-release-etcd-snapshotter' } });
    expect(pod.nodeSelector).toEqual({ pool: 'system' });
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(envOf(pod.containers[0]).ETCDK8S_SNAPSHOTS_TO_KEEP).toBe('5');
    expect(job.spec.jobTemplate.spec.template.metadata.labels.backup).toBe('etcd');
    expect(findAll(m.manifests, 'PersistentVolumeClaim')).toEqual([]);
  });

  test('a new cluster creates its snapshot claim with the chart\'s class and size; start from a snapshot', () => {
    const m = migrate(nested({
      'disasterRecovery.enabled': true,
      'disasterRecovery.pvc.size': '5Gi',
      'startFromSnapshot.enabled': true,
      'startFromSnapshot.existingClaim': 'old-snapshots',
      'startFromSnapshot.snapshotFilename': 'db-2025-01-01_00-00',
    }), { releaseName: 'my-release', adopt: false });
    // With start-from-snapshot's claim, the chart writes the snapshots there too.
    expect(findAll(m.manifests, 'PersistentVolumeClaim')).toEqual([]);
    expect(envOf(etcd(m)).ETCDK8S_RESTORE_FILE).toBe('/init-snapshot/db-2025-01-01_00-00');

    const fresh = migrate(nested({ 'disasterRecovery.enabled': true, 'disasterRecovery.pvc.size': '5Gi' }), { releaseName: 'my-release', adopt: false });
    expect(find(fresh.manifests, 'PersistentVolumeClaim', 'my-release-etcd-snapshots').spec).toMatchObject({
      accessModes: ['ReadWriteMany'], storageClassName: 'nfs', resources: { requests: { storage: '5Gi' } },
    });
  });

  test('what the chart refuses and what the library cannot do is reported; settings of a disabled feature are not', () => {
    const message = problems(nested({
      'persistence.enabled': false,
      'disasterRecovery.enabled': true,
      'disasterRecovery.cronjob.command': ['/backup.sh'],
      'disasterRecovery.cronjob.snapshotsDir': '/data',
      'disasterRecovery.cronjob.containerSecurityContext.runAsUser': 0,
      'startFromSnapshot.enabled': true,
      'startFromSnapshot.existingClaim': 'snaps',
    }));
    expect(reported(message)).toEqual(['startFromSnapshot.snapshotFilename', 'disasterRecovery.enabled', 'disasterRecovery.cronjob.snapshotsDir',
      'disasterRecovery.cronjob.containerSecurityContext.runAsUser', 'disasterRecovery.cronjob.command']);
    migrate(nested({ 'disasterRecovery.cronjob.command': ['/backup.sh'], 'disasterRecovery.cronjob.containerSecurityContext.privileged': true }));
  });
});

describe('service account parameters', () => {
  test('an existing ServiceAccount, or annotations and labels of the created one', () => {
    const existing = migrate(nested({ 'serviceAccount.create': false, 'serviceAccount.name': 'etcd-sa' }));
    expect(findAll(existing.manifests, 'ServiceAccount')).toEqual([]);
    expect(memberPod(existing.manifests, 'my-release-etcd').serviceAccountName).toBe('etcd-sa');
    expect(memberPod(migrate(nested({ 'serviceAccount.create': false })).manifests, 'my-release-etcd').serviceAccountName).toBe('default');
    const created = find(migrate(nested({ 'serviceAccount.annotations': { 'iam.example/role': 'x' }, 'serviceAccount.labels': { a: 'b' } })).manifests,
      'ServiceAccount', 'my-release-etcd');
    expect(created.metadata.annotations).toEqual({ 'iam.example/role': 'x' });
    expect(created.metadata.labels.a).toBe('b');
    expect(created.automountServiceAccountToken).toBe(false);
  });

  test('another name for the created ServiceAccount and a token are reported', () => {
    expect(reported(problems(nested({ 'serviceAccount.name': 'other', 'serviceAccount.automountServiceAccountToken': true }))))
      .toEqual(['serviceAccount.name', 'serviceAccount.automountServiceAccountToken']);
  });
});

describe('pre-upgrade job parameters', () => {
  test('the reconcile Job replaces it; a preset carries over', () => {
    const m = migrate(nested({ 'preUpgradeJob.resourcesPreset': 'small', 'preUpgradeJob.annotations': { 'helm.sh/hook-weight': '1' }, 'preUpgradeJob.startDelay': 10 }));
    expect(m.props.reconcileJob).toEqual({ resourcesPreset: ResourcesPreset.SMALL });
    const job = findAll(m.manifests, 'Job')[0];
    expect(job.metadata.name).toMatch(/^my-release-etcd-reconcile-/);
    expect(job.spec.template.spec.containers[0].resources.requests.cpu).toBe('500m');
  });

  test('the pre-upgrade Job\'s scheduling and resources go to the reconcile Job; its affinity is reported', () => {
    const values = {
      'preUpgradeJob.nodeSelector': { pool: 'system' },
      'preUpgradeJob.tolerations': [{ key: 'dedicated', operator: 'Exists' }],
      'preUpgradeJob.podLabels': { a: 'b' },
      'preUpgradeJob.resources': { limits: { memory: '256Mi' } },
    };
    const m = migrate(nested(values));
    const job = m.manifests.find(o => o.kind === 'Job');
    expect(job.spec.template.spec).toMatchObject({ nodeSelector: { pool: 'system' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
    expect(job.spec.template.metadata.labels.a).toBe('b');
    expect(job.spec.template.spec.containers.find((c: Manifest) => c.name === 'reconcile').resources).toEqual({ limits: { memory: '256Mi' } });
    expect(reported(problems(nested({ 'preUpgradeJob.affinity': { nodeAffinity: {} }, 'preUpgradeJob.podAntiAffinityPreset': 'hard' }))))
      .toEqual(['preUpgradeJob.podAntiAffinityPreset', 'preUpgradeJob.affinity']);
    migrate(nested({ 'preUpgradeJob.affinity': { nodeAffinity: {} }, 'preUpgradeJob.enabled': false }));
  });
});

describe('defragmentation parameters', () => {
  test('the defrag CronJob', () => {
    const m = migrate(nested({
      'defrag.enabled': true,
      'defrag.cronjob.schedule': '30 2 * * 0',
      'defrag.cronjob.concurrencyPolicy': 'Replace',
      'defrag.cronjob.suspend': true,
      'defrag.cronjob.successfulJobsHistoryLimit': 2,
      'defrag.cronjob.failedJobsHistoryLimit': 3,
      'defrag.cronjob.startingDeadlineSeconds': 300,
      'defrag.cronjob.activeDeadlineSeconds': 1800,
      'defrag.cronjob.podAnnotations': { a: 'b' },
      'defrag.cronjob.serviceAccountName': 'defrag',
      'defrag.cronjob.resources': { limits: { memory: '256Mi' } },
    }));
    const job = find(m.manifests, 'CronJob', 'my-release-etcd-defrag');
    expect(job.spec).toMatchObject({
      schedule: '30 2 * * 0',
      concurrencyPolicy: 'Replace',
      suspend: true,
      successfulJobsHistoryLimit: 2,
      failedJobsHistoryLimit: 3,
      startingDeadlineSeconds: 300,
      jobTemplate: { spec: { activeDeadlineSeconds: 1800 } },
    });
    const pod = job.spec.jobTemplate.spec.template;
    expect(pod.metadata.annotations).toEqual({ a: 'b' });
    expect(pod.spec.serviceAccountName).toBe('defrag');
    expect(pod.spec.containers[0].resources).toEqual({ limits: { memory: '256Mi' } });
  });

  test('labels, commands, environment and restart policy are reported; a disabled defrag is not checked', () => {
    const values = {
      'defrag.cronjob.labels': { a: 'b' },
      'defrag.cronjob.command': ['etcdctl', 'defrag'],
      'defrag.cronjob.extraEnvVars': [{ name: 'A', value: 'b' }],
      'defrag.cronjob.restartPolicy': 'Never',
    };
    expect(reported(problems(nested({ ...values, 'defrag.enabled': true }))))
      .toEqual(['defrag.cronjob.labels', 'defrag.cronjob.restartPolicy', 'defrag.cronjob.command', 'defrag.cronjob.extraEnvVars']);
    expect(findAll(migrate(nested(values)).manifests, 'CronJob')).toEqual([]);
  });
});

describe('PDB parameters', () => {
  const budget = (flat: { [k: string]: unknown }) => findAll(migrate(nested(flat)).manifests, 'PodDisruptionBudget').map((p: Manifest) => p.spec.maxUnavailable);

  test('51% is the library\'s quorum-aware budget: none for 1 member, failures tolerated from 3 on', () => {
    expect(budget({})).toEqual([]);
    expect(budget({ replicaCount: 3 })).toEqual([1]);
    expect(budget({ replicaCount: 5 })).toEqual([2]);
  });

  test('other minAvailable and maxUnavailable values, rounded as Kubernetes does', () => {
    expect(budget({ 'replicaCount': 5, 'pdb.minAvailable': 4 })).toEqual([1]);
    expect(budget({ 'replicaCount': 5, 'pdb.minAvailable': '60%' })).toEqual([2]);
    expect(budget({ 'replicaCount': 5, 'pdb.maxUnavailable': '40%' })).toEqual([2]);
    expect(budget({ 'replicaCount': 5, 'pdb.maxUnavailable': 1 })).toEqual([1]);
    expect(budget({ 'replicaCount': 3, 'pdb.minAvailable': '' })).toEqual([1]);
    expect(budget({ 'replicaCount': 3, 'pdb.create': false })).toEqual([]);
  });

  test('both minAvailable and maxUnavailable are reported', () => {
    expect(reported(problems(nested({ 'pdb.minAvailable': 2, 'pdb.maxUnavailable': 1 })))).toEqual(['pdb.minAvailable']);
  });
});

describe('unknown and unsupported values', () => {
  test('one error lists every value it cannot map, each with its reason', () => {
    const message = problems({
      replicaCount: 'three',
      foo: { bar: 1 },
      auth: { rbac: { pasword: 'x' } },
      image: 'docker.io/bitnami/etcd:3.6.4',
      command: ['run.sh'],
      volumePermissions: { enabled: true },
      podLabels: { app: '{{ .Release.Name }}' },
    });
    expect(message).toMatch(/^\[cdk8s-etcd\] BitnamiValues.toProps: 7 values of the Bitnami etcd chart 12.0.20 cannot be mapped/);
    // In the chart's order; keys the chart does not have come last.
    expect(reported(message)).toEqual(['command', 'replicaCount', 'podLabels.app', 'volumePermissions.enabled', 'auth.rbac.pasword', 'foo', 'image']);
    expect(message).toMatch(/`foo`: unknown value: the Bitnami etcd chart 12.0.20 has no such value/);
    expect(message).toMatch(/`image`: must be a map of values/);
    expect(message).toMatch(/`replicaCount`: must be a whole number of at least 1, got "three"/);
    expect(message).toMatch(/`podLabels.app`: is a Helm template/);
  });

  test('malformed raw objects are reported with their path', () => {
    const message = problems(nested({
      'extraVolumes': [{ name: 'x', nfs: { server: 'a', path: '/' } }],
      'affinity': { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name' }] }] } } },
      'metrics.enabled': true,
      'metrics.prometheusRule.enabled': true,
      'metrics.prometheusRule.rules': [{ record: 'etcd:up', expr: 'up' }],
      'metrics.podMonitor.enabled': true,
      'metrics.podMonitor.relabelings': [{ action: 'explode' }],
      'defrag.enabled': true,
      'defrag.cronjob.schedule': 'every hour',
      'resources': { requests: { 'nvidia.com/gpu': 1 } },
    }));
    expect(reported(message)).toEqual([
      'resources.requests.nvidia.com/gpu', 'extraVolumes[0]', 'extraVolumes[0].nfs',
      'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields',
      'metrics.podMonitor.relabelings[0].action', 'metrics.prometheusRule.rules[0]', 'metrics.prometheusRule.rules[0].record',
      'defrag.cronjob.schedule',
    ]);
  });

  test('cron macros and Prometheus durations', () => {
    const m = migrate(nested({
      'defrag.enabled': true,
      'defrag.cronjob.schedule': '@weekly',
      'metrics.enabled': true,
      'metrics.podMonitor.enabled': true,
      'metrics.podMonitor.interval': '1m30s',
      'metrics.podMonitor.scrapeTimeout': '45s',
    }));
    expect(find(m.manifests, 'CronJob', 'my-release-etcd-defrag').spec.schedule).toBe('0 0 * * 0');
    expect(find(m.manifests, 'PodMonitor', 'my-release-etcd').spec.podMetricsEndpoints[0]).toMatchObject({ interval: '1m30s', scrapeTimeout: '45s' });
  });

  test('a values object that is not a map', () => {
    expect(reported(problems(['replicaCount']))).toEqual(['(values)']);
  });

  test('null removes a value, as in Helm', () => {
    const m = migrate(nested({ podAntiAffinityPreset: null }));
    expect(memberPod(m.manifests, 'my-release-etcd').affinity).toBeUndefined();
  });
});

describe('the migration guide and the data file', () => {
  const guide = fs.readFileSync(path.join(__dirname, '..', 'docs', 'MIGRATION.md'), 'utf-8');
  const rows = new Map([...guide.matchAll(/^\| `([^`]+)`(?: \(@skip\))? \| [^|]*(?:\\\|[^|]*)*\| (.+) \|$/gm)].map(m => [m[1], m[2]]));

  test('the data file has the chart\'s 302 parameters', () => {
    expect(PARAMETERS.length).toBe(302);
    expect(new Set(PARAMETERS).size).toBe(302);
    expect(Object.keys(CHART.defaults).sort()).toEqual([...PARAMETERS, ...CHART.skipped].sort());
  });

  test('MIGRATION.md has a row with a decision for every value, in the chart\'s order', () => {
    for (const name of [...PARAMETERS, ...CHART.skipped, ...CHART.undeclared]) {
      expect({ name, row: rows.get(name)?.trim().length ?? 0 }).toEqual({ name, row: expect.any(Number) });
      expect(rows.get(name)?.trim()).toBeTruthy();
    }
    const order = [...rows.keys()].filter(n => PARAMETERS.includes(n));
    expect(order).toEqual(PARAMETERS);
  });

  test('every value the mapping reads is a value of the chart, and it reads every one', () => {
    const chartValues = new Set([...PARAMETERS, ...CHART.skipped, ...CHART.undeclared]);
    expect(BitnamiValues.knownValues().filter(v => !chartValues.has(v))).toEqual([]);
    expect([...chartValues].filter(v => !BitnamiValues.knownValues().includes(v))).toEqual([]);
  });
});
