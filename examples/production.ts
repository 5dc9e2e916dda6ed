// A production cluster: 5 members spread across zones, TLS everywhere from cert-manager with a
// self-signed CA, RBAC with the root password from a Secret you create, metrics with the upstream
// alerts, snapshots every 30 minutes with automatic recovery, daily defragmentation, and a
// NetworkPolicy that admits only the application.
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AutoCompaction, EtcdCluster, ResourcesPreset, SnapshotVolume, TlsSource } from '../src';

const app = new App();
const chart = new Chart(app, 'production', { namespace: 'etcd' });

// Created outside the chart, e.g. by an external secrets operator:
//   kubectl -n etcd create secret generic etcd-root --from-literal=password=...
const rootPassword = kplus.Secret.fromSecretName(chart, 'RootPassword', 'etcd-root');

const etcd = new EtcdCluster(chart, 'etcd', {
  name: 'etcd',
  replicas: 5,
  resourcesPreset: ResourcesPreset.LARGE,
  persistence: { size: Size.gibibytes(20), storageClassName: 'fast-ssd' },
  quotaBackendBytes: Size.gibibytes(8),
  autoCompaction: AutoCompaction.periodic(Duration.hours(1)),
  tls: {
    peer: TlsSource.certManager(),
    client: TlsSource.certManager(),
    clientCertAuth: true,
    certManager: { selfSignedCa: true },
  },
  auth: { rootPassword: { secret: rootPassword, key: 'password' } },
  metrics: {
    enabled: true,
    podMonitor: { enabled: true, labels: { release: 'prometheus' } },
    prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
  },
  disasterRecovery: {
    volume: SnapshotVolume.newClaim({ size: Size.gibibytes(50), storageClassName: 'nfs' }),
    snapshotsToKeep: 12,
  },
  defrag: {},
  scheduling: { topologySpread: [{ topology: kplus.Topology.ZONE, maxSkew: 1 }] },
  networkPolicy: { allowSameNamespace: false },
});

// The application gets its own client certificate (its etcd user is "billing"), the environment to
// reach the cluster, and is the only workload the NetworkPolicy admits to the client port.
const credentials = etcd.tls.addClientCertificate('billing', { commonName: 'billing' });
const billing = new kplus.Deployment(chart, 'billing', {
  containers: [{
    image: 'registry.example.com/billing:1.4.2',
    portNumber: 8080,
    envVariables: etcd.connectionEnv({ credentialsPath: '/etc/etcd/client' }),
    volumeMounts: [{ path: '/etc/etcd/client', volume: kplus.Volume.fromSecret(chart, 'EtcdCredentials', credentials) }],
  }],
});
etcd.allowClient(billing);

app.synth();
