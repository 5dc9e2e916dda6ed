import * as os from 'os';
import { ImageSpec } from './images';
import { Container, missing, ObjectStore } from './manifest';

/** What the downward API can tell a container about its pod. */
export interface PodFacts {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly ip: string;
  readonly hostIP: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccountName: string;
  readonly containers: readonly Container[];
}

export const NODE_NAME = 'node-1';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Kubernetes' `$(VAR)` expansion: `$(NAME)` becomes the value when `lookup` knows
 * it and stays as written when it does not; `$$` is an escaped `$`, so `$$(NAME)`
 * gives a literal `$(NAME)`.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    const next = input[i + 1];
    if (c !== '$' || next === undefined) {
      out += c;
    } else if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      out += c + next;
      i++;
    }
  }
  return out;
}

/** The environment the kubelet gives `container`: `envFrom` first, then `env` in order. */
export function resolveEnv(container: Container, pod: PodFacts, store: ObjectStore): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const data = kind === 'ConfigMap' ? store.configMapData(ref.name) : store.secretData(ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw missing(kind, ref.name);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${key}`;
      // The kubelet skips keys that are not valid variable names.
      if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) env[name] = value.toString();
    }
  }
  for (const v of container.env ?? []) {
    const value = v.valueFrom ? valueFrom(v.name, v.valueFrom, container, pod, store) : expand(v.value ?? '', (n) => env[n]);
    if (value !== undefined) env[v.name] = value;
  }
  return env;
}

/**
 * The process a container runs: `command` replaces the image's ENTRYPOINT and
 * `args` its CMD (`command` alone drops CMD too); `$(VAR)` expands in both.
 */
export function commandLine(container: Container, image: ImageSpec, env: Readonly<Record<string, string>>): string[] {
  const expandAll = (list: readonly string[]) => list.map((s) => expand(s, (n) => env[n]));
  const command = container.command ? expandAll(container.command) : [...image.entrypoint ?? []];
  const args = container.args ? expandAll(container.args) : container.command ? [] : [...image.cmd ?? []];
  const argv = [...command, ...args];
  if (argv.length === 0) throw new Error(`container ${container.name}: neither command/args nor an image default to run`);
  return argv;
}

type ValueFrom = NonNullable<NonNullable<Container['env']>[number]['valueFrom']>;

function valueFrom(name: string, from: ValueFrom, container: Container, pod: PodFacts, store: ObjectStore): string | undefined {
  if (from.fieldRef) return fieldRef(from.fieldRef.fieldPath, pod);
  if (from.resourceFieldRef) {
    const target = pod.containers.find((c) => c.name === (from.resourceFieldRef?.containerName ?? container.name)) ?? container;
    return resourceFieldRef(from.resourceFieldRef.resource, from.resourceFieldRef.divisor, target);
  }
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (!ref) throw new Error(`env ${name}: unsupported valueFrom ${JSON.stringify(from)}`);
  const kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
  const data = kind === 'Secret' ? store.secretData(ref.name) : store.configMapData(ref.name);
  const value = data?.[ref.key];
  if (value === undefined && !ref.optional) {
    throw data ? new Error(`env ${name}: ${kind} "${ref.name}" has no key "${ref.key}"`) : missing(kind, ref.name);
  }
  return value?.toString();
}

/** The downward API's `fieldRef`, for env vars and volumes. */
export function fieldRef(path: string, pod: PodFacts): string {
  const indexed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (indexed) return (indexed[1] === 'labels' ? pod.labels : pod.annotations)[indexed[2]] ?? '';
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': pod.uid,
    'spec.nodeName': NODE_NAME,
    'spec.serviceAccountName': pod.serviceAccountName,
    'status.podIP': pod.ip,
    'status.podIPs': pod.ip,
    'status.hostIP': pod.hostIP,
    'status.hostIPs': pod.hostIP,
  };
  const value = fields[path];
  if (value === undefined) throw new Error(`unsupported fieldRef ${path}`);
  return value;
}

/** `resourceFieldRef`: a limit that is not set is the node's capacity, as in Kubernetes. */
function resourceFieldRef(resource: string, divisor: string | number | undefined, container: Container): string {
  const [kind, name] = resource.split('.');
  const limit = container.resources?.limits?.[name];
  const set = kind === 'requests' ? container.resources?.requests?.[name] ?? limit : limit;
  const capacity: Record<string, number> = { 'cpu': os.cpus().length, 'memory': os.totalmem(), 'ephemeral-storage': 0 };
  const value = set === undefined ? (kind === 'requests' ? 0 : capacity[name]) : quantity(set);
  if (value === undefined) throw new Error(`unsupported resourceFieldRef ${resource}`);
  return String(Math.ceil(value / quantity(divisor ?? 1)));
}

const SUFFIXES: Record<string, number> = {
  'm': 1e-3,
  '': 1,
  'k': 1e3,
  'M': 1e6,
  'G': 1e9,
  'T': 1e12,
  'P': 1e15,
  'E': 1e18,
  'Ki': 2 ** 10,
  'Mi': 2 ** 20,
  'Gi': 2 ** 30,
  'Ti': 2 ** 40,
  'Pi': 2 ** 50,
  'Ei': 2 ** 60,
};

/** A Kubernetes resource quantity (`500m`, `1Gi`, `2`) as a number. */
export function quantity(q: string | number): number {
  const m = /^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(q).trim());
  const factor = m ? SUFFIXES[m[2]] : undefined;
  if (!m || factor === undefined) throw new Error(`invalid quantity ${q}`);
  return Number(m[1]) * factor;
}
