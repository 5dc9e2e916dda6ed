/**
 * Test helpers: synthesize a chart and find objects by kind and name (never by array index).
 */
import * as crypto from 'crypto';
import { Chart, Testing } from 'cdk8s';
import { EtcdCluster, EtcdClusterProps } from '../src';

// Loosely typed manifests: tests read whatever field they assert on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = any;

export interface Synthesized {
  readonly chart: Chart;
  readonly cluster: EtcdCluster;
  readonly manifests: Manifest[];
}

/** A chart (in namespace `etcd` unless told otherwise) with one cluster named `etcd` (unless the props name it). */
export function synthCluster(props: EtcdClusterProps = {}, namespace: string | null = 'etcd'): Synthesized {
  const chart = new Chart(Testing.app(), 'test', { namespace: namespace ?? undefined });
  const cluster = new EtcdCluster(chart, 'etcd', { name: 'etcd', ...props });
  return { chart, cluster, manifests: Testing.synth(chart) };
}

export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const matches = manifests.filter(m => m.kind === kind && m.metadata?.name === name);
  if (matches.length !== 1) {
    const have = manifests.map(m => `${m.kind}/${m.metadata?.name}`).join(', ');
    throw new Error(`expected exactly one ${kind}/${name}, found ${matches.length} among: ${have}`);
  }
  return matches[0];
}

export function findAll(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter(m => m.kind === kind);
}

export function container(podSpec: Manifest, name: string): Manifest {
  const all = [...podSpec.initContainers ?? [], ...podSpec.containers];
  const c = all.find((x: Manifest) => x.name === name);
  if (!c) {
    throw new Error(`no container ${name} among ${all.map((x: Manifest) => x.name).join(', ')}`);
  }
  return c;
}

/** env of a container as name -> value (or valueFrom as JSON). */
export function envOf(c: Manifest): { [name: string]: string } {
  return Object.fromEntries((c.env ?? []).map((e: Manifest) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
}

export function memberPod(manifests: Manifest[], name = 'etcd'): Manifest {
  return find(manifests, 'StatefulSet', name).spec.template.spec;
}

/**
 * The manifests for a snapshot, with each runtime script replaced by its digest: the snapshot still
 * changes when a script does, without repeating the scripts in every snapshot.
 */
export function forSnapshot(manifests: Manifest[]): Manifest[] {
  return manifests.map(m => {
    if (m.kind !== 'ConfigMap' || !m.metadata?.name?.endsWith('-runtime')) {
      return m;
    }
    const data = Object.fromEntries(Object.entries(m.data as { [k: string]: string }).map(([k, v]) =>
      [k, k.endsWith('.sh') ? `<${k}: sha256 ${crypto.createHash('sha256').update(v).digest('hex').slice(0, 16)}>` : v]));
    return { ...m, data };
  });
}
