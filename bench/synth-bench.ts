/**
 * Benchmark (not a test): synth time and peak memory per cluster, for 1, 10 and 100 clusters in one
 * app, against a baseline of plain cdk8s-plus-28 objects (a StatefulSet, two Services and a
 * ConfigMap per cluster). Each measurement runs in its own process so peak RSS is its own.
 *
 *   npm run bench
 */
import { execFileSync } from 'child_process';
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AutoCompaction, EtcdCluster, ResourcesPreset, SnapshotVolume, TlsSource } from '../src';

type Kind = 'etcd' | 'baseline';

/** A cluster with every feature on: TLS from cert-manager, auth, metrics and alerts, snapshots, defrag, zone spread. */
function fullCluster(chart: Chart, i: number): void {
  const secret = kplus.Secret.fromSecretName(chart, `root${i}`, `etcd-${i}-root`);
  const etcd = new EtcdCluster(chart, `etcd${i}`, {
    name: `etcd-${i}`,
    replicas: 5,
    autoCompaction: AutoCompaction.fromValues('periodic', '1h'),
    resourcesPreset: ResourcesPreset.SMALL,
    persistence: { size: Size.gibibytes(20), storageClassName: 'fast' },
    clientService: { type: kplus.ServiceType.LOAD_BALANCER },
    podLabels: { team: 'platform' },
    tls: { peer: TlsSource.certManager(), client: TlsSource.certManager(), clientCertAuth: true, certManager: { selfSignedCa: true } },
    auth: { rootPassword: { secret, key: 'password' } },
    metrics: { enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true } },
    disasterRecovery: { volume: SnapshotVolume.newClaim({ storageClassName: 'nfs' }) },
    defrag: {},
    scheduling: { topologySpread: [{ topology: kplus.Topology.ZONE }] },
    networkPolicy: { allowSameNamespace: false },
  });
  etcd.tls.addClientCertificate('app', { commonName: 'app' });
}

function baseline(chart: Chart, i: number): void {
  const config = new kplus.ConfigMap(chart, `config${i}`, { data: { members: 'a\nb\nc\n' } });
  const headless = new kplus.Service(chart, `headless${i}`, { clusterIP: 'None', ports: [{ port: 2379, name: 'client' }, { port: 2380, name: 'peer' }] });
  const sts = new kplus.StatefulSet(chart, `sts${i}`, {
    service: headless,
    replicas: 3,
    podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
    containers: [{
      image: 'gcr.io/etcd-development/etcd:v3.6.14',
      ports: [{ number: 2379, name: 'client' }, { number: 2380, name: 'peer' }],
      envVariables: { ETCD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME) },
      volumeMounts: [{ path: '/runtime', volume: kplus.Volume.fromConfigMap(chart, `vol${i}`, config) }],
    }],
  });
  new kplus.Service(chart, `client${i}`, { selector: sts, ports: [{ port: 2379 }] });
}

function measure(kind: Kind, count: number): { ms: number; rssMiB: number } {
  const start = process.hrtime.bigint();
  const app = new App();
  const chart = new Chart(app, 'bench', { namespace: 'bench' });
  for (let i = 0; i < count; i++) {
    (kind === 'etcd' ? fullCluster : baseline)(chart, i);
  }
  const yaml = app.synthYaml();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (yaml.length === 0) {
    throw new Error('nothing synthesized');
  }
  return { ms, rssMiB: process.resourceUsage().maxRSS / 1024 };
}

function main(): void {
  const [, , mode, kind, count] = process.argv;
  if (mode === '--child') {
    process.stdout.write(JSON.stringify(measure(kind as Kind, Number(count))));
    return;
  }
  const run = (k: Kind, n: number) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, __filename, '--child', k, `${n}`], {
    encoding: 'utf-8',
  })) as { ms: number; rssMiB: number };
  console.log('clusters | etcd ms/cluster | baseline ms/cluster | ratio | etcd peak RSS | baseline peak RSS');
  for (const n of [1, 10, 100]) {
    const etcd = run('etcd', n);
    const base = run('baseline', n);
    console.log([
      `${n}`.padStart(8),
      (etcd.ms / n).toFixed(2).padStart(15),
      (base.ms / n).toFixed(2).padStart(19),
      (etcd.ms / base.ms).toFixed(2).padStart(5),
      `${etcd.rssMiB.toFixed(0)} MiB`.padStart(13),
      `${base.rssMiB.toFixed(0)} MiB`.padStart(17),
    ].join(' | '));
  }
}

main();
