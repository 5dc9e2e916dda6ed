// Migrating from the Bitnami etcd Helm chart: the values of a running release `my-release` (inline
// here; parse your values.yaml instead) become EtcdCluster props that keep the release's names and
// volumes. `npx cdk8s synth` writes the objects; docs/MIGRATION.md has the adoption steps.
import { App, Chart } from 'cdk8s';
import { BitnamiValues, EtcdCluster } from '../src';

const values = {
  replicaCount: 3,
  auth: {
    rbac: { create: true, existingSecret: 'etcd-root', existingSecretPasswordKey: 'password' },
    token: { type: 'jwt', privateKey: { existingSecret: 'etcd-jwt', filename: 'jwt.pem' } },
    client: { secureTransport: true, existingSecret: 'etcd-client-tls', certFilename: 'tls.crt', certKeyFilename: 'tls.key', caFilename: 'ca.crt' },
  },
  autoCompactionMode: 'periodic',
  autoCompactionRetention: '1h',
  persistence: { storageClass: 'fast-ssd', size: '20Gi' },
  resources: {
    requests: { cpu: '500m', memory: '1Gi' },
    limits: { memory: '2Gi' },
  },
  podAntiAffinityPreset: 'hard',
  metrics: {
    enabled: true,
    podMonitor: { enabled: true, namespace: 'monitoring', additionalLabels: { release: 'kube-prometheus-stack' } },
  },
  disasterRecovery: {
    enabled: true,
    cronjob: { schedule: '0 */6 * * *', snapshotHistoryLimit: 4 },
    pvc: { storageClassName: 'nfs-client', size: '10Gi' },
  },
  defrag: { enabled: true },
};

const app = new App();
// The release's namespace: the members' DNS names contain it.
const chart = new Chart(app, 'from-bitnami', { namespace: 'databases' });
new EtcdCluster(chart, 'etcd', BitnamiValues.toProps(chart, values, { releaseName: 'my-release' }));
app.synth();
