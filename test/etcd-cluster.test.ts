import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AutoCompaction, EtcdImage, ExternalTrafficPolicy, LogLevel, PvcRetention, ResourcesPreset, SessionAffinity, ToolsImage } from '../src';
import { container, envOf, find, findAll, forSnapshot, Manifest, memberPod, synthCluster } from './util';

describe('EtcdCluster defaults', () => {
  const { cluster, manifests } = synthCluster();

  test('renders the full default cluster', () => {
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });

  test('renders exactly the core objects', () => {
    const inventory = manifests.map((m: Manifest) => `${m.kind}/${m.metadata.name}`).sort();
    expect(inventory).toEqual([
      'ConfigMap/etcd-runtime',
      expect.stringMatching(/^Job\/etcd-reconcile-[0-9a-f]{8}$/),
      'NetworkPolicy/etcd',
      'PodDisruptionBudget/etcd',
      'Service/etcd',
      'Service/etcd-headless',
      'ServiceAccount/etcd',
      'StatefulSet/etcd',
    ]);
    for (const m of manifests) {
      expect(m.metadata.namespace).toBe('etcd');
    }
  });

  test('StatefulSet starts members in parallel behind the headless Service', () => {
    const sts = find(manifests, 'StatefulSet', 'etcd');
    expect(sts.spec).toMatchObject({
      replicas: 3,
      serviceName: 'etcd-headless',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'etcd', 'app.kubernetes.io/instance': 'etcd', 'app.kubernetes.io/component': 'etcd' } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } },
    }]);
    expect(sts.spec.template.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
  });

  test('headless Service publishes not-ready members on the client and peer ports', () => {
    const svc = find(manifests, 'Service', 'etcd-headless');
    expect(svc.spec).toEqual({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: find(manifests, 'StatefulSet', 'etcd').spec.selector.matchLabels,
      ports: [
        { name: 'client', port: 2379, targetPort: 'client' },
        { name: 'peer', port: 2380, targetPort: 'peer' },
      ],
    });
  });

  test('client Service is a ClusterIP Service on the client port only', () => {
    const svc = find(manifests, 'Service', 'etcd');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'client', port: 2379, targetPort: 'client' }]);
    expect(svc.spec.clusterIP).toBeUndefined();
  });

  test('etcd container runs the entrypoint under busybox with etcd settings as env', () => {
    const etcd = container(memberPod(manifests), 'etcd');
    expect(etcd.image).toBe('gcr.io/etcd-development/etcd:v3.6.14');
    expect(etcd.imagePullPolicy).toBe('IfNotPresent');
    expect(etcd.command).toEqual(['/tools/bin/sh', '/runtime/entrypoint.sh']);
    const env = envOf(etcd);
    expect(env).toMatchObject({
      ETCD_NAME: '$(POD_NAME)',
      ETCD_DATA_DIR: '/var/lib/etcd/data',
      ETCD_LISTEN_CLIENT_URLS: 'http://0.0.0.0:2379',
      ETCD_LISTEN_PEER_URLS: 'http://0.0.0.0:2380',
      ETCD_LISTEN_METRICS_URLS: 'http://0.0.0.0:2381',
      ETCD_ADVERTISE_CLIENT_URLS: 'http://$(POD_NAME).etcd-headless.$(POD_NAMESPACE).svc.cluster.local:2379',
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://$(POD_NAME).etcd-headless.$(POD_NAMESPACE).svc.cluster.local:2380',
      ETCD_INITIAL_CLUSTER_TOKEN: 'etcd',
      ETCD_LOG_LEVEL: 'info',
      ETCD_HEARTBEAT_INTERVAL: '100',
      ETCD_ELECTION_TIMEOUT: '1000',
      ETCD_QUOTA_BACKEND_BYTES: '2147483648',
      ETCDK8S_DOMAIN: 'etcd-headless.$(POD_NAMESPACE).svc.cluster.local',
      PATH: '/usr/local/bin:/tools/bin',
    });
    // The member list is the entrypoint's business, from the ConfigMap: not pod env.
    expect(env.ETCD_INITIAL_CLUSTER).toBeUndefined();
    expect(env.ETCD_INITIAL_CLUSTER_STATE).toBeUndefined();
    // $(VAR) only expands variables defined earlier in the list.
    const names = etcd.env.map((e: Manifest) => e.name);
    expect(names.indexOf('POD_NAME')).toBeLessThan(names.indexOf('ETCD_NAME'));
    expect(names.indexOf('POD_NAMESPACE')).toBeLessThan(names.indexOf('ETCD_ADVERTISE_CLIENT_URLS'));
  });

  test('ports are named for the probes and Services', () => {
    const etcd = container(memberPod(manifests), 'etcd');
    expect(etcd.ports).toEqual([
      { name: 'client', containerPort: 2379, protocol: 'TCP' },
      { name: 'peer', containerPort: 2380, protocol: 'TCP' },
      { name: 'metrics', containerPort: 2381, protocol: 'TCP' },
    ]);
  });

  test('probes are plain HTTP on the metrics listener', () => {
    const etcd = container(memberPod(manifests), 'etcd');
    expect(etcd.startupProbe).toEqual({
      httpGet: { path: '/readyz', port: 'metrics', scheme: 'HTTP' },
      initialDelaySeconds: 0,
      periodSeconds: 5,
      timeoutSeconds: 5,
      failureThreshold: 60,
      successThreshold: 1,
    });
    expect(etcd.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics', scheme: 'HTTP' });
    expect(etcd.readinessProbe.failureThreshold).toBe(3);
    expect(etcd.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'metrics', scheme: 'HTTP' });
    expect(etcd.livenessProbe.failureThreshold).toBe(8);
  });

  test('volumes: data claim, tools, runtime scripts and a writable /tmp', () => {
    const pod = memberPod(manifests);
    expect(pod.volumes).toEqual([
      { name: 'tools', emptyDir: {} },
      { name: 'runtime', configMap: { name: 'etcd-runtime', defaultMode: 0o555 } },
      { name: 'tmp', emptyDir: {} },
    ]);
    expect(container(pod, 'etcd').volumeMounts).toEqual([
      { name: 'data', mountPath: '/var/lib/etcd' },
      { name: 'tools', mountPath: '/tools', readOnly: true },
      { name: 'runtime', mountPath: '/runtime', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(container(pod, 'tools').volumeMounts).toEqual([{ name: 'tools', mountPath: '/tools' }]);
  });

  test('the tools init container installs busybox for the shell-less etcd image', () => {
    const tools = container(memberPod(manifests), 'tools');
    expect(tools.image).toBe('docker.io/library/busybox:1.37.0-musl');
    expect(tools.command.slice(0, 3)).toEqual(['/bin/busybox', 'sh', '-c']);
    expect(tools.command[3]).toContain('/tools/bin/busybox --install -s /tools/bin');
  });

  test('every pod and container is locked down', () => {
    const pods = [memberPod(manifests), ...findAll(manifests, 'Job').map((j: Manifest) => j.spec.template.spec)];
    for (const pod of pods) {
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toEqual({
        runAsUser: 1001,
        runAsGroup: 1001,
        runAsNonRoot: true,
        fsGroup: 1001,
        fsGroupChangePolicy: 'Always',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of [...pod.initContainers, ...pod.containers]) {
        expect(c.securityContext).toEqual({
          runAsUser: 1001,
          runAsGroup: 1001,
          runAsNonRoot: true,
          privileged: false,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits).toBeDefined();
      }
    }
    expect(find(manifests, 'ServiceAccount', 'etcd').automountServiceAccountToken).toBe(false);
  });

  test('resources default to the micro preset', () => {
    expect(container(memberPod(manifests), 'etcd').resources).toEqual({
      requests: { 'cpu': '250m', 'memory': '256Mi', 'ephemeral-storage': '50Mi' },
      limits: { 'cpu': '375m', 'memory': '384Mi', 'ephemeral-storage': '2Gi' },
    });
  });

  test('the runtime ConfigMap carries the scripts and the desired member list', () => {
    const cm = find(manifests, 'ConfigMap', 'etcd-runtime');
    expect(Object.keys(cm.data).sort()).toEqual(['defrag.sh', 'entrypoint.sh', 'lib.sh', 'members', 'reconcile.sh', 'snapshot.sh']);
    expect(cm.data.members).toBe('etcd-0\netcd-1\netcd-2\n');
    expect(cm.data['entrypoint.sh']).toMatch(/^#!\/bin\/sh\n/);
  });

  test('PodDisruptionBudget allows the failures the cluster tolerates', () => {
    const pdb = find(manifests, 'PodDisruptionBudget', 'etcd');
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: find(manifests, 'StatefulSet', 'etcd').spec.selector.matchLabels },
    });
  });

  test('the reconcile Job pins the desired members and finishes on its own', () => {
    const job = findAll(manifests, 'Job')[0];
    expect(job.spec.backoffLimit).toBe(6);
    expect(job.spec.ttlSecondsAfterFinished).toBe(3600);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('OnFailure');
    const c = container(pod, 'reconcile');
    expect(c.command).toEqual(['/tools/bin/sh', '/runtime/reconcile.sh']);
    expect(envOf(c)).toMatchObject({ ETCDK8S_MEMBERS: 'etcd-0 etcd-1 etcd-2', ETCDK8S_RECONCILE_TIMEOUT: '600' });
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('reconcile');
  });

  test('public handles', () => {
    expect(cluster.name).toBe('etcd');
    expect(cluster.replicas).toBe(3);
    expect(cluster.clientEndpoint).toBe('http://etcd.etcd.svc.cluster.local:2379');
    expect(cluster.memberEndpoints).toEqual([0, 1, 2].map(i => `http://etcd-${i}.etcd-headless.etcd.svc.cluster.local:2379`));
    expect(cluster.peerUrls).toEqual([0, 1, 2].map(i => `http://etcd-${i}.etcd-headless.etcd.svc.cluster.local:2380`));
    expect(cluster.statefulSet.name).toBe('etcd');
    expect(cluster.headlessService.name).toBe('etcd-headless');
    expect(cluster.clientService.name).toBe('etcd');
    expect(cluster.serviceAccount.name).toBe('etcd');
    expect(cluster.podDisruptionBudget?.name).toBe('etcd');
    expect(cluster.runtimeConfig.name).toBe('etcd-runtime');
  });
});

describe('EtcdCluster names', () => {
  test('without a chart namespace, endpoints are namespace-relative', () => {
    const { cluster } = synthCluster({}, null);
    expect(cluster.clientEndpoint).toBe('http://etcd:2379');
    expect(cluster.memberEndpoints[0]).toBe('http://etcd-0.etcd-headless:2379');
  });

  test('a generated name is a short DNS label, stable across synths', () => {
    const a = synthCluster({ name: undefined }).cluster.name;
    const b = synthCluster({ name: undefined }).cluster.name;
    expect(a).toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(a.length).toBeLessThanOrEqual(40);
  });
});

describe('EtcdCluster scaling', () => {
  test('changing replicas changes the member list and the reconcile Job, never the pod template', () => {
    const three = synthCluster({ replicas: 3 }).manifests;
    const five = synthCluster({ replicas: 5 }).manifests;
    expect(find(five, 'StatefulSet', 'etcd').spec.template).toEqual(find(three, 'StatefulSet', 'etcd').spec.template);
    expect(find(five, 'StatefulSet', 'etcd').spec.replicas).toBe(5);
    expect(find(five, 'ConfigMap', 'etcd-runtime').data.members).toBe('etcd-0\netcd-1\netcd-2\netcd-3\netcd-4\n');
    const jobName = (m: Manifest[]) => findAll(m, 'Job')[0].metadata.name;
    expect(jobName(five)).not.toBe(jobName(three));
    expect(jobName(synthCluster({ replicas: 3 }).manifests)).toBe(jobName(three));
  });

  test.each([
    [1, undefined], [2, undefined], [3, 1], [4, 1], [5, 2], [7, 3],
  ])('PodDisruptionBudget for %i members: maxUnavailable %p', (replicas, maxUnavailable) => {
    const { manifests } = synthCluster({ replicas });
    const pdbs = findAll(manifests, 'PodDisruptionBudget');
    if (maxUnavailable === undefined) {
      expect(pdbs).toEqual([]);
    } else {
      expect(pdbs[0].spec.maxUnavailable).toBe(maxUnavailable);
    }
  });

  test('a budget for a single member can be asked for', () => {
    const { manifests } = synthCluster({ replicas: 1, podDisruptionBudget: { enabled: true } });
    expect(find(manifests, 'PodDisruptionBudget', 'etcd').spec.maxUnavailable).toBe(0);
  });
});

describe('EtcdCluster options', () => {
  test('etcd settings as typed props', () => {
    const { manifests } = synthCluster({
      ports: { client: 12379, peer: 12380, metrics: 12381 },
      clusterDomain: 'k8s.example',
      initialClusterToken: 'prod-etcd',
      logLevel: LogLevel.WARN,
      maxProcs: 4,
      heartbeatInterval: Duration.millis(250),
      electionTimeout: Duration.millis(2500),
      snapshotCount: 5000,
      quotaBackendBytes: Size.gibibytes(4),
      autoCompaction: AutoCompaction.periodic(Duration.hours(1)),
      maxRequestBytes: Size.mebibytes(3),
      extraEnv: { ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL: kplus.EnvValue.fromValue('5s') },
    });
    const etcd = container(memberPod(manifests), 'etcd');
    expect(envOf(etcd)).toMatchObject({
      ETCD_LISTEN_CLIENT_URLS: 'http://0.0.0.0:12379',
      ETCD_ADVERTISE_CLIENT_URLS: 'http://$(POD_NAME).etcd-headless.$(POD_NAMESPACE).svc.k8s.example:12379',
      ETCD_INITIAL_CLUSTER_TOKEN: 'prod-etcd',
      ETCD_LOG_LEVEL: 'warn',
      GOMAXPROCS: '4',
      ETCD_HEARTBEAT_INTERVAL: '250',
      ETCD_ELECTION_TIMEOUT: '2500',
      ETCD_SNAPSHOT_COUNT: '5000',
      ETCD_QUOTA_BACKEND_BYTES: `${4 * 1024 ** 3}`,
      ETCD_AUTO_COMPACTION_MODE: 'periodic',
      ETCD_AUTO_COMPACTION_RETENTION: '1h',
      ETCD_MAX_REQUEST_BYTES: `${3 * 1024 ** 2}`,
      ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL: '5s',
    });
    expect(find(manifests, 'Service', 'etcd-headless').spec.ports.map((p: Manifest) => p.port)).toEqual([12379, 12380]);
    expect(etcd.ports.map((p: Manifest) => p.containerPort)).toEqual([12379, 12380, 12381]);
  });

  test('persistence off: data in an emptyDir, no claims', () => {
    const { manifests } = synthCluster({ persistence: { enabled: false, emptyDirSizeLimit: Size.gibibytes(4) } });
    const sts = find(manifests, 'StatefulSet', 'etcd');
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toBeUndefined();
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '4Gi' } });
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });

  test('persistence options for adopting volumes', () => {
    const { manifests } = synthCluster({
      persistence: {
        size: Size.gibibytes(20),
        storageClassName: 'fast-ssd',
        accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD],
        annotations: { 'backup/enabled': 'true' },
        labels: { tier: 'etcd' },
        selector: { disk: 'ssd' },
        claimTemplateName: 'data',
        mountPath: '/bitnami/etcd',
        retainWhenDeleted: PvcRetention.DELETE,
        retainWhenScaled: PvcRetention.DELETE,
      },
    });
    const sts = find(manifests, 'StatefulSet', 'etcd');
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data', annotations: { 'backup/enabled': 'true' }, labels: { tier: 'etcd' } },
      spec: {
        accessModes: ['ReadWriteOncePod'],
        storageClassName: 'fast-ssd',
        selector: { matchLabels: { disk: 'ssd' } },
        resources: { requests: { storage: '20Gi' } },
      },
    }]);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Delete' });
    const etcd = container(sts.spec.template.spec, 'etcd');
    expect(envOf(etcd).ETCD_DATA_DIR).toBe('/bitnami/etcd/data');
    expect(etcd.volumeMounts[0]).toEqual({ name: 'data', mountPath: '/bitnami/etcd' });
  });

  test('security context ids', () => {
    const { manifests } = synthCluster({
      securityContext: {
        user: 65532, group: 65532, fsGroup: 2000, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH, supplementalGroups: [3000],
      },
    });
    const pod = memberPod(manifests);
    expect(pod.securityContext).toMatchObject({ runAsUser: 65532, runAsGroup: 65532, fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch', supplementalGroups: [3000] });
    expect(container(pod, 'etcd').securityContext).toMatchObject({ runAsUser: 65532, runAsGroup: 65532 });
  });

  test('client Service as a LoadBalancer', () => {
    const { manifests } = synthCluster({
      clientService: {
        type: kplus.ServiceType.LOAD_BALANCER,
        port: 443,
        nodePort: 32379,
        loadBalancerIP: '10.0.0.10',
        loadBalancerClass: 'service.k8s.aws/nlb',
        loadBalancerSourceRanges: ['10.0.0.0/8'],
        annotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' },
        extraPorts: [{ name: 'sidecar', port: 9000, targetPort: 9000 }],
      },
    });
    const svc = find(manifests, 'Service', 'etcd');
    expect(svc.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' });
    expect(svc.spec).toMatchObject({
      type: 'LoadBalancer',
      loadBalancerIP: '10.0.0.10',
      loadBalancerClass: 'service.k8s.aws/nlb',
      loadBalancerSourceRanges: ['10.0.0.0/8'],
      externalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      ports: [
        { name: 'client', port: 443, targetPort: 'client', nodePort: 32379 },
        { name: 'sidecar', port: 9000, targetPort: 9000 },
      ],
    });
  });

  test('client Service as a NodePort with client-IP affinity', () => {
    const { manifests } = synthCluster({
      clientService: { type: kplus.ServiceType.NODE_PORT, externalTrafficPolicy: ExternalTrafficPolicy.LOCAL },
    });
    expect(find(manifests, 'Service', 'etcd').spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    const affinity = synthCluster({
      clientService: { sessionAffinity: SessionAffinity.CLIENT_IP, sessionAffinityTimeout: Duration.minutes(10) },
    }).manifests;
    expect(find(affinity, 'Service', 'etcd').spec).toMatchObject({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
  });

  test('images from another registry, pinned by digest, with pull secrets', () => {
    const pull = (name: string) => kplus.Secret.fromSecretName(synthCluster().chart, `pull-${name}`, name);
    const digest = `sha256:${'a'.repeat(64)}`;
    const { manifests } = synthCluster({
      image: EtcdImage.fromRegistry({ registry: 'quay.io', repository: 'coreos/etcd', digest, pullPolicy: kplus.ImagePullPolicy.ALWAYS, pullSecrets: [pull('quay')] }),
      toolsImage: ToolsImage.fromRegistry({ registry: 'mirror.example.com:5000', tag: '1.36.1-musl' }),
      imagePullSecrets: [pull('quay'), pull('mirror')],
    });
    const pod = memberPod(manifests);
    expect(container(pod, 'etcd').image).toBe(`quay.io/coreos/etcd@${digest}`);
    expect(container(pod, 'etcd').imagePullPolicy).toBe('Always');
    expect(container(pod, 'tools').image).toBe('mirror.example.com:5000/library/busybox:1.36.1-musl');
    expect(pod.imagePullSecrets).toEqual([{ name: 'quay' }, { name: 'mirror' }]);
    expect(findAll(manifests, 'Job')[0].spec.template.spec.imagePullSecrets).toEqual([{ name: 'quay' }, { name: 'mirror' }]);
  });

  test('resources: presets and explicit values', () => {
    const large = memberPod(synthCluster({ resourcesPreset: ResourcesPreset.LARGE }).manifests);
    expect(container(large, 'etcd').resources.limits).toEqual({ 'cpu': '1.5', 'memory': '3072Mi', 'ephemeral-storage': '2Gi' });
    const none = memberPod(synthCluster({ resourcesPreset: ResourcesPreset.NONE }).manifests);
    expect(container(none, 'etcd').resources).toBeUndefined();
    const explicit = memberPod(synthCluster({
      resourcesPreset: ResourcesPreset.NANO,
      resources: {
        cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
        memory: { request: Size.gibibytes(1), limit: Size.mebibytes(1536) },
        ephemeralStorage: { request: Size.mebibytes(50), limit: Size.gibibytes(1) },
      },
    }).manifests);
    expect(container(explicit, 'etcd').resources).toEqual({
      requests: { 'cpu': '500m', 'memory': '1Gi', 'ephemeral-storage': '50Mi' },
      limits: { 'cpu': '2', 'memory': '1536Mi', 'ephemeral-storage': '1Gi' },
    });
  });

  test('probe timings, replacement and removal', () => {
    const pod = memberPod(synthCluster({
      probes: {
        startup: { period: Duration.seconds(2), failureThreshold: 300 },
        readiness: { probe: kplus.Probe.fromTcpSocket({ port: 2379 }) },
        liveness: { enabled: false },
      },
    }).manifests);
    const etcd = container(pod, 'etcd');
    expect(etcd.startupProbe).toMatchObject({ periodSeconds: 2, failureThreshold: 300, httpGet: { path: '/readyz' } });
    expect(etcd.readinessProbe.tcpSocket).toEqual({ port: 2379 });
    expect(etcd.livenessProbe).toBeUndefined();
  });

  test('pod extras: labels, annotations, env, volumes, sidecars, init containers, scheduling fields', () => {
    const { chart, manifests: base } = synthCluster();
    expect(base.length).toBeGreaterThan(0);
    const cache = kplus.Volume.fromEmptyDir(chart, 'cache', 'cache');
    const config = kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'app-config');
    const { manifests } = synthCluster({
      labels: { team: 'platform' },
      annotations: { owner: 'platform@example.com' },
      podLabels: { sidecar: 'yes' },
      podAnnotations: { 'prometheus.io/scrape': 'false' },
      extraEnvFrom: [kplus.Env.fromConfigMap(config)],
      extraVolumes: [cache],
      extraVolumeMounts: [{ volume: cache, path: '/cache' }],
      extraVolumeClaimTemplates: [{ name: 'wal', size: Size.gibibytes(2), mountPath: '/var/lib/etcd-wal' }],
      sidecars: [{ name: 'exporter', image: 'example/exporter:1.0', portNumber: 9000 }],
      initContainers: [{ name: 'check', image: 'example/check:1.0', command: ['check'] }],
      lifecycle: { preStop: kplus.Handler.fromCommand(['/tools/bin/sleep', '5']) },
      hostAliases: [{ ip: '10.1.1.1', hostnames: ['etcd.legacy'] }],
      terminationGracePeriod: Duration.seconds(60),
      priorityClassName: 'system-cluster-critical',
      schedulerName: 'custom',
      runtimeClassName: 'gvisor',
      shareProcessNamespace: true,
    });
    const sts = find(manifests, 'StatefulSet', 'etcd');
    const pod = sts.spec.template.spec;
    expect(sts.metadata.labels.team).toBe('platform');
    expect(sts.metadata.annotations).toEqual({ owner: 'platform@example.com' });
    expect(find(manifests, 'Service', 'etcd').metadata.labels.team).toBe('platform');
    expect(sts.spec.template.metadata.labels).toMatchObject({ 'team': 'platform', 'sidecar': 'yes', 'app.kubernetes.io/component': 'etcd' });
    expect(sts.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'false' });
    const etcd = container(pod, 'etcd');
    expect(etcd.envFrom).toEqual([{ configMapRef: { name: 'app-config' } }]);
    expect(etcd.volumeMounts).toContainEqual({ name: 'cache', mountPath: '/cache' });
    expect(etcd.volumeMounts).toContainEqual({ name: 'wal', mountPath: '/var/lib/etcd-wal' });
    expect(etcd.lifecycle.preStop.exec.command).toEqual(['/tools/bin/sleep', '5']);
    expect(pod.volumes.filter((v: Manifest) => v.name === 'cache')).toEqual([{ name: 'cache', emptyDir: {} }]);
    expect(sts.spec.volumeClaimTemplates.map((t: Manifest) => t.metadata.name)).toEqual(['data', 'wal']);
    expect(pod.containers.map((c: Manifest) => c.name)).toEqual(['etcd', 'exporter']);
    expect(pod.initContainers.map((c: Manifest) => c.name)).toEqual(['tools', 'check']);
    const exporter = container(pod, 'exporter');
    expect(exporter.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod).toMatchObject({
      hostAliases: [{ ip: '10.1.1.1', hostnames: ['etcd.legacy'] }],
      terminationGracePeriodSeconds: 60,
      priorityClassName: 'system-cluster-critical',
      schedulerName: 'custom',
      runtimeClassName: 'gvisor',
      shareProcessNamespace: true,
    });
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });

  test('update strategy with a partition', () => {
    const sts = find(synthCluster({ updateStrategy: kplus.StatefulSetUpdateStrategy.rollingUpdate({ partition: 2 }) }).manifests, 'StatefulSet', 'etcd');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 2 } });
  });

  test('an existing ServiceAccount is used, none created', () => {
    const { chart } = synthCluster();
    const sa = kplus.ServiceAccount.fromServiceAccountName(chart, 'sa', 'shared-etcd');
    const { manifests } = synthCluster({ serviceAccount: { existing: sa } });
    expect(findAll(manifests, 'ServiceAccount')).toEqual([]);
    expect(memberPod(manifests).serviceAccountName).toBe('shared-etcd');
  });

  test('diagnostic mode: the container sleeps and has no probes', () => {
    const etcd = container(memberPod(synthCluster({ diagnosticMode: true }).manifests), 'etcd');
    expect(etcd.command).toEqual(['/tools/bin/sleep', '2147483647']);
    expect(etcd.startupProbe).toBeUndefined();
    expect(etcd.readinessProbe).toBeUndefined();
    expect(etcd.livenessProbe).toBeUndefined();
  });

  test('reconcile Job options', () => {
    const job = findAll(synthCluster({
      reconcileJob: { ttlAfterFinished: Duration.minutes(5), backoffLimit: 2, timeout: Duration.minutes(3), resourcesPreset: ResourcesPreset.SMALL },
    }).manifests, 'Job')[0];
    expect(job.spec.ttlSecondsAfterFinished).toBe(300);
    expect(job.spec.backoffLimit).toBe(2);
    const c = container(job.spec.template.spec, 'reconcile');
    expect(envOf(c).ETCDK8S_RECONCILE_TIMEOUT).toBe('180');
    expect(c.resources.requests.cpu).toBe('500m');
  });
});

describe('reconcile Job placement', () => {
  test('the Job takes the pod options of the other Jobs (tainted nodes, dedicated pools)', () => {
    const job = findAll(synthCluster({
      reconcileJob: { nodeSelector: { pool: 'system' }, tolerations: [kplus.NodeTaintQuery.exists('CriticalAddonsOnly')], podLabels: { audit: 'yes' } },
    }).manifests, 'Job')[0];
    expect(job.spec.template.spec).toMatchObject({ nodeSelector: { pool: 'system' }, tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] });
    expect(job.spec.template.metadata.labels).toMatchObject({ 'audit': 'yes', 'app.kubernetes.io/component': 'reconcile' });
  });
});
