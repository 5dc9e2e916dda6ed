/**
 * fast-check arbitraries over the whole public props space of `EtcdCluster`, for
 * test/property.test.ts.
 *
 * A generated case is plain data: JSON-like values plus `Expr` nodes for the value classes,
 * enum members and constructs the props take (`Duration.seconds(5)`, `TlsSource.certManager()`,
 * `kplus.Secret.fromSecretName(chart, 'Secret1', 'tls')`, ...). `materialize` turns a case into
 * a chart and real props; `printCase` renders the very same case as TypeScript a person can paste
 * into a test. Both walk the case in the same order, so construct ids agree.
 *
 * Every prop group takes a `Level`: strict draws typical values (most cases synthesize), mild and
 * loose mix in (few or many) values at and around the limits: 0, negative, fractional,
 * huge, empty strings, malformed names, Durations and Sizes a unit around each bound, and
 * fractions of a millisecond or kibibyte. Only values the cdk8s / cdk8s-plus factories themselves
 * accept are drawn (e.g. no negative Durations: `Duration.seconds(-1)` throws in cdk8s before the
 * library sees it).
 */
import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import {
  AffinityPreset, AlertSeverity, AuthTokenType, AutoCompaction, CertManagerIssuer, EtcdCluster, EtcdImage, EtcdMetrics, ExternalTrafficPolicy,
  JwtSignMethod,
  KeyAlgorithm, LogLevel, MetricsLevel, NetworkPeer, PvcRetention, RelabelAction, ResourcesPreset, ScrapePort, ScrapeScheme, SessionAffinity,
  SnapshotVolume, TlsSource, TolerationOperator, ToolsImage, WhenUnsatisfiable,
} from '../src';

// ---------------------------------------------------------------------------------------------
// The case representation
// ---------------------------------------------------------------------------------------------

/**
 * A value the materializer builds: a call of a static factory (`call`), a call that takes the
 * chart and a construct id first (`scoped`), a static member such as an enum value (`ref`), or a
 * Deployment in another chart, with or without a namespace (`workload`).
 */
export class Expr {
  constructor(
    public readonly kind: 'call' | 'scoped' | 'ref' | 'workload',
    public readonly path: string,
    public readonly args: unknown[] = [],
  ) {}
}

export const call = (path: string, ...args: unknown[]) => new Expr('call', path, args);
export const scoped = (path: string, ...args: unknown[]) => new Expr('scoped', path, args);
export const ref = (path: string) => new Expr('ref', path);

/** One generated case: the chart's namespace and the props. */
export interface Case {
  readonly namespace?: string;
  readonly props: { [prop: string]: unknown };
  /** Methods called on the cluster after construction (`allowClient`, `metrics.addAlert`, ...). */
  readonly calls?: Call[];
}

/** A call of a public method of the cluster or of one of its sub-constructs, e.g. `cluster.tls.addClientCertificate(...)`. */
export interface Call {
  /** `cluster` or `cluster.<member>`. */
  readonly target: string;
  readonly method: string;
  readonly args: unknown[];
}

/** What `path`s of `Expr` nodes resolve against (and how they print). */
const ROOTS: { [name: string]: unknown } = {
  Duration,
  Size,
  Cron,
  kplus,
  EtcdImage,
  ToolsImage,
  AutoCompaction,
  ResourcesPreset,
  LogLevel,
  PvcRetention,
  ExternalTrafficPolicy,
  SessionAffinity,
  TlsSource,
  CertManagerIssuer,
  KeyAlgorithm,
  AuthTokenType,
  JwtSignMethod,
  MetricsLevel,
  ScrapePort,
  ScrapeScheme,
  RelabelAction,
  AlertSeverity,
  AffinityPreset,
  WhenUnsatisfiable,
  TolerationOperator,
  NetworkPeer,
  SnapshotVolume,
};

function resolve(path: string): { owner: unknown; value: unknown } {
  const parts = path.split('.');
  let owner: unknown = undefined;
  let value: unknown = ROOTS[parts[0]];
  for (const part of parts.slice(1)) {
    owner = value;
    value = (value as { [k: string]: unknown })[part];
  }
  if (value === undefined) {
    throw new Error(`arbitraries: cannot resolve ${path}`);
  }
  return { owner, value };
}

/** Construct ids of scoped calls: `Secret1`, `Pods2`, ... in traversal order. */
class Ids {
  private readonly counts = new Map<string, number>();
  public next(path: string): string {
    const parts = path.split('.');
    const base = parts.length > 1 ? parts[parts.length - 2] : 'Other';
    const n = (this.counts.get(base) ?? 0) + 1;
    this.counts.set(base, n);
    return `${base}${n}`;
  }
}

const WORKLOAD_IMAGE = 'example/web:1';

/** Builds the real props (and any constructs they need) in a fresh app. */
export function materialize(c: Case): {
  app: App; chart: Chart; props: { [prop: string]: unknown }; applyCalls: (cluster: EtcdCluster) => void;
} {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: c.namespace });
  const ids = new Ids();
  const build = (v: unknown): unknown => {
    if (v instanceof Expr) {
      const args = v.args.map(build);
      switch (v.kind) {
        case 'ref':
          return resolve(v.path).value;
        case 'call': {
          const { owner, value } = resolve(v.path);
          return (value as (...a: unknown[]) => unknown).apply(owner, args);
        }
        case 'scoped': {
          const { owner, value } = resolve(v.path);
          return (value as (...a: unknown[]) => unknown).apply(owner, [chart, ids.next(v.path), ...args]);
        }
        case 'workload': {
          const namespace = args[0] as string | undefined;
          const other = new Chart(app, ids.next('Other'), { namespace });
          return new kplus.Deployment(other, 'Web', { containers: [{ image: WORKLOAD_IMAGE }] });
        }
      }
    }
    if (Array.isArray(v)) {
      return v.map(build);
    }
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, build(x)]));
    }
    return v;
  };
  const built = build(c.props) as { [prop: string]: unknown };
  const applyCalls = (cluster: EtcdCluster) => {
    for (const x of c.calls ?? []) {
      const target = x.target.split('.').slice(1).reduce((o: unknown, k) => (o as { [k: string]: unknown })[k], cluster as unknown) as
        { [m: string]: (...a: unknown[]) => unknown };
      target[x.method](...x.args.map(build));
    }
  };
  return { app, chart, props: built, applyCalls };
}

// ---------------------------------------------------------------------------------------------
// Printing a case as TypeScript
// ---------------------------------------------------------------------------------------------

function quote(s: string): string {
  return `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, '\\\'')}'`;
}

function printNumber(n: number): string {
  if (Number.isNaN(n)) {
    return 'Number.NaN';
  }
  if (n === Number.POSITIVE_INFINITY) {
    return 'Number.POSITIVE_INFINITY';
  }
  if (n === Number.NEGATIVE_INFINITY) {
    return 'Number.NEGATIVE_INFINITY';
  }
  return Object.is(n, -0) ? '-0' : `${n}`;
}

/** The case as a TypeScript snippet: an app, a chart, the cluster with its props, and the synth. */
export function printCase(c: Case): string {
  const ids = new Ids();
  const print = (v: unknown, indent: string): string => {
    const inner = `${indent}  `;
    if (v instanceof Expr) {
      if (v.kind === 'ref') {
        return v.path;
      }
      if (v.kind === 'workload') {
        const ns = v.args[0] === undefined ? '' : `, { namespace: ${quote(v.args[0] as string)} }`;
        return `new kplus.Deployment(new Chart(app, '${ids.next('Other')}'${ns}), 'Web', { containers: [{ image: '${WORKLOAD_IMAGE}' }] })`;
      }
      const head = v.kind === 'scoped' ? [`chart, '${ids.next(v.path)}'`] : [];
      return `${v.path}(${[...head, ...v.args.map(a => print(a, indent))].join(', ')})`;
    }
    if (v === undefined) {
      return 'undefined';
    }
    if (v === null) {
      return 'null';
    }
    if (typeof v === 'string') {
      return quote(v);
    }
    if (typeof v === 'number') {
      return printNumber(v);
    }
    if (typeof v === 'boolean') {
      return `${v}`;
    }
    if (Array.isArray(v)) {
      const items = v.map(x => print(x, inner));
      const flat = `[${items.join(', ')}]`;
      return flat.length + indent.length <= 110 && !flat.includes('\n') ? flat : `[\n${items.map(i => `${inner}${i},\n`).join('')}${indent}]`;
    }
    const entries = Object.entries(v as object).filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : quote(k)}: ${print(x, inner)}`);
    if (!entries.length) {
      return '{}';
    }
    const flat = `{ ${entries.join(', ')} }`;
    return flat.length + indent.length <= 110 && !flat.includes('\n') ? flat : `{\n${entries.map(e => `${inner}${e},\n`).join('')}${indent}}`;
  };
  const ns = c.namespace === undefined ? '' : `, { namespace: ${quote(c.namespace)} }`;
  const printedProps = print(c.props, '');
  const printedCalls = (c.calls ?? []).map(x => `${x.target}.${x.method}(${x.args.map(a => print(a, '')).join(', ')});`);
  return [
    'const app = Testing.app();',
    `const chart = new Chart(app, 'test'${ns});`,
    `${printedCalls.length ? 'const cluster = ' : ''}new EtcdCluster(chart, 'etcd', ${printedProps});`,
    ...printedCalls,
    'Testing.synth(chart);',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

type Arb = fc.Arbitrary<unknown>;

/**
 * How far a case strays from typical values: 0 (strict) typical values only, 1 (mild) now and then
 * an edge value (so that one edge value at a time gets past the other props' validation), 2
 * (loose) edge values anywhere. Levels 0 and 1 also keep feature options coherent.
 */
export type Level = 0 | 1 | 2;

/** Typical values only at level 0; typical values mixed with (mild: few, loose: many) edge values otherwise. */
function pick(level: Level, typical: Arb, edge: Arb): Arb {
  return level === 0 ? typical : fc.oneof({ arbitrary: typical, weight: level === 1 ? 15 : 2 }, { arbitrary: edge, weight: 1 });
}

function one(...values: unknown[]): Arb {
  return fc.constantFrom(...values);
}

/** Absent (shrinks to that) or present with `percent` probability. */
function maybe(arb: Arb, percent: number): Arb {
  return fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });
}

function strip(o: { [k: string]: unknown }): { [k: string]: unknown } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const isRef = (x: unknown, path: string) => x instanceof Expr && x.path === path;

/** Milliseconds of a `Duration.<unit>(n)` expression. */
function msOf(x: unknown): number | undefined {
  const factors: { [unit: string]: number } = { millis: 1, seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };
  return x instanceof Expr && x.path.startsWith('Duration.') ? (x.args[0] as number) * factors[x.path.split('.')[1]] : undefined;
}

/** Keeps the first of the items with the same key. */
function uniqueBy<T>(items: T[], key: (t: T) => unknown): T[] {
  const seen = new Set<string>();
  return items.filter(t => {
    const k = JSON.stringify(key(t));
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** An options object whose every key is optional, each present with `percent` probability. */
function group(model: { [key: string]: Arb }, percent = 35): fc.Arbitrary<{ [k: string]: unknown }> {
  return fc.record(Object.fromEntries(Object.entries(model).map(([k, a]) => [k, maybe(a, percent)]))).map(strip);
}

function list(arb: Arb, maxLength = 3): Arb {
  return fc.array(arb, { maxLength });
}

/** Every member of a TypeScript enum, as `Enum.MEMBER`. */
function members(path: string, e: object): Arb {
  return fc.constantFrom(...Object.keys(e).filter(k => Number.isNaN(Number(k)))).map(k => ref(`${path}.${k}`));
}

/** Named static instances of an enum-like class, as `Class.NAME`. */
function statics(path: string, names: string[]): Arb {
  return fc.constantFrom(...names).map(n => ref(`${path}.${n}`));
}

// Numbers ----------------------------------------------------------------------------------------

const EDGE_NUMBERS = [0, -1, -0, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, Number.MAX_SAFE_INTEGER];

/** Whole numbers in a range, plus (loose) the usual edge numbers and the range's bounds +-1. */
function count(level: Level, min: number, max: number, typical: number[]): Arb {
  return pick(level, one(...typical), fc.oneof(one(...EDGE_NUMBERS, min - 1, min, max, max + 1), fc.integer({ min: min - 2, max: max + 2 })));
}

function port(level: Level, typical: number[]): Arb {
  return count(level, 1, 65535, typical);
}

// Durations and Sizes -------------------------------------------------------------------------------

const DURATION_UNITS: Array<[string, number]> = [['days', 86_400_000], ['hours', 3_600_000], ['minutes', 60_000], ['seconds', 1000]];

/** A Duration of `ms` milliseconds in the largest unit that holds it exactly (as a user would write it). */
function durationOf(ms: number): Expr {
  for (const [unit, factor] of DURATION_UNITS) {
    if (ms > 0 && ms % factor === 0) {
      return call(`Duration.${unit}`, ms / factor);
    }
  }
  return call('Duration.millis', ms);
}

/**
 * Durations at and around the bounds (in milliseconds) of a prop: each bound, a millisecond and a
 * second either side, fractions of a millisecond, zero, a fractional second, and a huge value.
 */
function durationNear(level: Level, typicalMs: number[], boundsMs: number[]): Arb {
  const around = fc.tuple(fc.constantFrom(...boundsMs), fc.constantFrom(-1000, -1, 0, 1, 1000)).map(([b, d]) => Math.max(0, b + d)).map(durationOf);
  const odd = one(
    call('Duration.millis', 0), call('Duration.seconds', 0), call('Duration.millis', 0.5), call('Duration.millis', 1.5),
    call('Duration.seconds', 1.5), call('Duration.seconds', 0.0005), call('Duration.minutes', 0.5), call('Duration.days', 36500),
    call('Duration.hours', 1e6),
  );
  return pick(level, fc.constantFrom(...typicalMs).map(durationOf), fc.oneof(around, odd));
}

const SIZE_UNITS: Array<[string, number]> = [['tebibytes', 1024 ** 3], ['gibibytes', 1024 ** 2], ['mebibytes', 1024]];

function sizeOf(kib: number): Expr {
  for (const [unit, factor] of SIZE_UNITS) {
    if (kib > 0 && kib % factor === 0) {
      return call(`Size.${unit}`, kib / factor);
    }
  }
  return call('Size.kibibytes', kib);
}

/** Sizes at and around bounds (KiB): each bound and a KiB / a MiB either side, zero, fractions, huge. */
function sizeNear(level: Level, typicalKiB: number[], boundsKiB: number[]): Arb {
  const around = fc.tuple(fc.constantFrom(...boundsKiB), fc.constantFrom(-1024, -1, 0, 1, 1024)).map(([b, d]) => Math.max(0, b + d)).map(sizeOf);
  const odd = one(
    call('Size.kibibytes', 0), call('Size.gibibytes', 0), call('Size.kibibytes', 0.5), call('Size.kibibytes', 0.0001),
    call('Size.mebibytes', 0.5), call('Size.mebibytes', 0.0001), call('Size.gibibytes', 1.5), call('Size.tebibytes', 1024),
  );
  return pick(level, fc.constantFrom(...typicalKiB).map(sizeOf), fc.oneof(around, odd));
}

const MiB = 1024;
const GiB = 1024 * 1024;

// Strings, labels, annotations -------------------------------------------------------------------

const LABEL_KEYS = ['team', 'tier', 'example.com/owner', 'app.kubernetes.io/part-of', 'k'.repeat(63), `${'p'.repeat(20)}.example.com/x`];
/** Keys the library's own labels use: valid label keys that collide with its selector. */
const OWN_LABEL_KEYS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/managed-by'];
const BAD_LABEL_KEYS = ['', 'bad key', '-team', 'a/b/c', 'k'.repeat(64), 'Example.com/x'];
const LABEL_VALUES = ['', 'a', 'etcd', 'v1.2_3', 'x'.repeat(63)];
const BAD_LABEL_VALUES = ['bad value', 'x'.repeat(64), '-x', 'a/b'];

function labels(level: Level): Arb {
  const typical = fc.oneof({ arbitrary: one(...LABEL_KEYS), weight: 3 }, { arbitrary: one(...OWN_LABEL_KEYS), weight: 1 });
  const key = pick(level, typical, one(...BAD_LABEL_KEYS));
  const value = pick(level, one(...LABEL_VALUES), one(...BAD_LABEL_VALUES));
  return fc.dictionary(key as fc.Arbitrary<string>, value, { maxKeys: 3, noNullPrototype: true });
}

function annotations(level: Level): Arb {
  const key = pick(level, one('example.com/note', 'owner', 'prometheus.io/scrape'), one(...BAD_LABEL_KEYS, 'cdk8s-etcd/jwt-key-checksum'));
  const value = pick(level, one('x', 'true', ''), one('multi\nline', 'x'.repeat(300), '{"json": true}'));
  return fc.dictionary(key as fc.Arbitrary<string>, value, { maxKeys: 3, noNullPrototype: true });
}

const DNS_LABELS = ['etcd', 'db', 'a', 'etcd-main', 'x1'];
const BAD_DNS_LABELS = ['', 'Etcd', '1etcd', 'etcd_1', '-etcd', 'etcd-', 'e.tcd', 'x'.repeat(64), 'with space'];

function dnsLabel(level: Level, typical = DNS_LABELS): Arb {
  return pick(level, one(...typical), one(...BAD_DNS_LABELS));
}

function secret(level: Level): Arb {
  return dnsLabel(level, ['etcd-tls', 'etcd-peer-tls', 'root-password', 'jwt', 'registry', 'creds']).map(n => scoped('kplus.Secret.fromSecretName', n));
}

function secretValue(level: Level): Arb {
  return fc.record({ secret: secret(level), key: pick(level, one('password', 'tls.key', 'key.pem'), one('', 'bad key', 'a/b')) });
}

function cpu(level: Level): Arb {
  return pick(level, one(call('kplus.Cpu.millis', 100), call('kplus.Cpu.millis', 250), call('kplus.Cpu.units', 1), call('kplus.Cpu.units', 2)),
    one(call('kplus.Cpu.millis', 0), call('kplus.Cpu.millis', 0.5), call('kplus.Cpu.units', 0.001), call('kplus.Cpu.units', 1000)));
}

/** kplus.ContainerResources, for the library's `resources` props (sizes are the library's to render). */
function containerResources(level: Level): Arb {
  const memory = sizeNear(level, [128 * MiB, 512 * MiB, 2 * GiB], [MiB, GiB]);
  return group({
    cpu: group({ request: cpu(level), limit: cpu(level) }, 60),
    memory: group({ request: memory, limit: memory }, 60),
    ephemeralStorage: group({ request: sizeNear(level, [GiB], [GiB]), limit: sizeNear(level, [2 * GiB], [GiB]) }, 60),
  }, 60);
}

const PRESETS = ['NONE', 'NANO', 'MICRO', 'SMALL', 'MEDIUM', 'LARGE', 'XLARGE', 'XXLARGE'];

function resourcesPreset(level: Level): Arb {
  return pick(level, statics('ResourcesPreset', PRESETS),
    fc.oneof(one('none', 'nano', '2xlarge', 'huge', '', 'NANO').map(n => call('ResourcesPreset.of', n)), statics('ResourcesPreset', PRESETS)));
}

// ---------------------------------------------------------------------------------------------
// Prop groups
// ---------------------------------------------------------------------------------------------

function imageOptions(level: Level): Arb {
  return group({
    registry: pick(level, one('quay.io', 'registry.k8s.io', 'registry.example.com:5000'), one('', 'https://quay.io', 'Quay.io', 'a:123456')),
    repository: pick(level, one('coreos/etcd', 'etcd', 'library/busybox'), one('', 'CoreOS/etcd', 'a//b', '/etcd')),
    tag: pick(level, one('v3.6.14', '3.6.14-0', 'latest', '1.37.0-musl'), one('', 'v3.6 latest', 't'.repeat(129), '.hidden', 't'.repeat(128))),
    digest: pick(level, one(`sha256:${'a'.repeat(64)}`), one('', `sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`)),
    pullPolicy: members('kplus.ImagePullPolicy', kplus.ImagePullPolicy),
    pullSecrets: list(secret(level), 2),
  });
}

function image(level: Level, cls: 'EtcdImage' | 'ToolsImage'): Arb {
  const options = imageOptions(level).map(o => call(`${cls}.fromRegistry`, o));
  if (cls === 'ToolsImage') {
    return fc.oneof(fc.constant(call('ToolsImage.default')), options);
  }
  const version = pick(level, one('v3.6.15', 'v3.5.33'), one('', 'v3.6 latest', 'x'.repeat(200))).map(t => call('EtcdImage.fromVersion', t));
  return fc.oneof(fc.constant(call('EtcdImage.default')), version, options);
}

function autoCompaction(level: Level): Arb {
  return fc.oneof(
    durationNear(level, [3_600_000, 30 * 60_000], [1, 1000, 3_600_000]).map(d => call('AutoCompaction.periodic', d)),
    count(level, 1, 1e9, [1000, 10000]).map(n => call('AutoCompaction.revision', n)),
    pick(level, one(['periodic', '1h'], ['periodic', '10'], ['revision', '1000'], ['periodic', '1h30m']),
      one(['periodic', '0'], ['periodic', ''], ['periodic', '1x'], ['revision', '1h'], ['revision', '0'], ['hourly', '1'], ['periodic', '0.5s']))
      .map(a => call('AutoCompaction.fromValues', ...(a as string[]))),
  );
}

function envName(level: Level): fc.Arbitrary<string> {
  return pick(level, one('FOO', 'ETCD_EXPERIMENTAL_X', 'my.var', '_A', 'ETCD_AUTH_TOKEN_TTL'),
    one('ETCD_NAME', 'ETCD_LOG_LEVEL', 'ETCD_METRICS', 'PATH', 'POD_NAME', 'ETCDK8S_DOMAIN', 'ETCDCTL_API', 'BAD NAME', '', '1ABC', 'A=B',
      'ETCD_AUTH_TOKEN', 'ETCD_AUTO_TLS')) as fc.Arbitrary<string>;
}

function envValue(level: Level): Arb {
  return fc.oneof(
    pick(level, one('1', 'debug', ''), one('x'.repeat(1000), '$(POD_NAME)')).map(v => call('kplus.EnvValue.fromValue', v)),
    secretValue(level).map(v => call('kplus.EnvValue.fromSecretValue', v)),
    members('kplus.EnvFieldPaths', { POD_NAME: 0, POD_NAMESPACE: 0, POD_IP: 0, NODE_NAME: 0 }).map(f => call('kplus.EnvValue.fromFieldRef', f)),
  );
}

function envFrom(level: Level): Arb {
  return fc.oneof(
    secret(level).map(s => call('kplus.Env.fromSecret', s)),
    dnsLabel(level, ['etcd-env', 'settings']).map(n => call('kplus.Env.fromConfigMap', scoped('kplus.ConfigMap.fromConfigMapName', n))),
  );
}

const MOUNT_PATHS = ['/var/lib/etcd', '/bitnami/etcd', '/data/'];
/** Paths the pods already use, and malformed ones. */
const BAD_MOUNT_PATHS = ['/', '/tmp', '/tmp/', '/tools', '/runtime', 'data', '', '/with space', '/a:b', '/snapshots', '/init-snapshot',
  '/etc/etcd/tls', '/etc/etcd/tls/server', '/etc/etcd/auth', '/etc/etcd/jwt', '/var/lib/etcd/data', '//'];

function accessModes(level: Level): Arb {
  return pick(level, one([ref('kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE')]),
    fc.uniqueArray(members('kplus.PersistentVolumeAccessMode', kplus.PersistentVolumeAccessMode), { maxLength: 4, selector: e => (e as Expr).path }));
}

function persistence(level: Level): Arb {
  return group({
    enabled: fc.boolean(),
    size: sizeNear(level, [8 * GiB, 20 * GiB, 4 * GiB], [2 * GiB, 8 * GiB]),
    storageClassName: pick(level, one('', 'fast-ssd', 'standard'), one('Fast SSD')),
    accessModes: accessModes(level),
    annotations: annotations(level),
    labels: labels(level),
    selector: labels(level),
    claimTemplateName: dnsLabel(level, ['data', 'etcd-data']),
    mountPath: pick(level, one(...MOUNT_PATHS), one(...BAD_MOUNT_PATHS)),
    retainWhenDeleted: members('PvcRetention', PvcRetention),
    retainWhenScaled: members('PvcRetention', PvcRetention),
    emptyDirSizeLimit: sizeNear(level, [4 * GiB], [2 * GiB]),
  });
}

function securityContext(level: Level): Arb {
  const id = count(level, 1, 2147483647, [1001, 65534, 2000]);
  return group({
    user: id,
    group: id,
    fsGroup: id,
    fsGroupChangePolicy: members('kplus.FsGroupChangePolicy', kplus.FsGroupChangePolicy),
    supplementalGroups: list(one(1000, 2000, 65534), 2),
    sysctls: list(one({ name: 'net.core.somaxconn', value: '1024' }, { name: 'net.ipv4.tcp_keepalive_time', value: '60' }), 2),
  });
}

function probe(level: Level): Arb {
  const secondsOf = (typical: number[], bounds: number[]) => durationNear(level, typical.map(s => s * 1000), bounds.map(s => s * 1000));
  const replacement = one(
    call('kplus.Probe.fromHttpGet', '/health'),
    call('kplus.Probe.fromHttpGet', '/readyz', { port: 2381 }),
    call('kplus.Probe.fromTcpSocket', { port: 2379 }),
    call('kplus.Probe.fromCommand', ['/tools/bin/sh', '-c', 'true']),
  );
  return group({
    enabled: fc.boolean(),
    initialDelay: secondsOf([0, 10], [0]),
    period: secondsOf([5, 10, 30], [1]),
    timeout: secondsOf([1, 5], [1]),
    failureThreshold: count(level, 1, 1000, [1, 3, 60]),
    successThreshold: count(level, 1, 10, [1]),
    probe: replacement,
  }, 25);
}

function clientService(level: Level): Arb {
  const ip = pick(level, one('10.0.0.10', '10.96.0.100'), one('None', '', '300.0.0.1'));
  return group({
    type: members('kplus.ServiceType', kplus.ServiceType),
    port: port(level, [2379, 443, 12379]),
    nodePort: count(level, 30000, 32767, [30379, 32000]),
    clusterIP: ip,
    loadBalancerIP: ip,
    loadBalancerClass: pick(level, one('example.com/lb'), one('', 'bad class')),
    loadBalancerSourceRanges: list(pick(level, one('10.0.0.0/8', '192.168.0.0/16'), one('', 'not-a-cidr')), 2),
    externalIPs: list(pick(level, one('192.0.2.10'), one('', 'x')), 2),
    externalTrafficPolicy: members('ExternalTrafficPolicy', ExternalTrafficPolicy),
    sessionAffinity: members('SessionAffinity', SessionAffinity),
    sessionAffinityTimeout: durationNear(level, [3600_000, 60_000], [1000, 86_400_000]),
    annotations: annotations(level),
    extraPorts: list(group({
      name: pick(level, one('backup', 'proxy', 'x'), one('', 'client', 'metrics', 'Bad Name', 'a-very-long-port-name')),
      port: port(level, [9000, 8080]).filter(p => p !== undefined),
      targetPort: port(level, [9000, 8080]),
      nodePort: count(level, 30000, 32767, [31000]),
      protocol: members('kplus.Protocol', kplus.Protocol),
    }, 50).map(p => ({ port: 9000, ...p })), 2),
  }, 30).map(s => (level < 2 ? coherentClientService(s) : s));
}

/** Options that fit the type; extra ports with names and numbers of their own. */
function coherentClientService(s: { [k: string]: unknown }): { [k: string]: unknown } {
  const out = { ...s };
  if (isRef(out.type, 'kplus.ServiceType.EXTERNAL_NAME')) {
    delete out.type;
  }
  const lb = isRef(out.type, 'kplus.ServiceType.LOAD_BALANCER');
  const exposed = lb || isRef(out.type, 'kplus.ServiceType.NODE_PORT');
  for (const k of exposed ? [] : ['nodePort', 'externalTrafficPolicy']) {
    delete out[k];
  }
  for (const k of lb ? [] : ['loadBalancerIP', 'loadBalancerClass', 'loadBalancerSourceRanges']) {
    delete out[k];
  }
  if (out.sessionAffinityTimeout !== undefined) {
    out.sessionAffinity = ref('SessionAffinity.CLIENT_IP');
  }
  const ports = out.extraPorts as Array<{ name?: string; port: number; protocol?: unknown }> | undefined;
  if (ports) {
    const taken = new Set([String(out.port ?? 2379), '2381']);
    out.extraPorts = uniqueBy(ports.filter(x => x.name && !taken.has(String(x.port))), x => x.name)
      .filter((x, i, all) => all.findIndex(y => y.port === x.port) === i);
  }
  return out;
}

function serviceAccount(level: Level): Arb {
  return group({
    existing: dnsLabel(level, ['etcd-sa', 'default']).map(n => scoped('kplus.ServiceAccount.fromServiceAccountName', n)),
    annotations: annotations(level),
    labels: labels(level),
  });
}

function volume(level: Level): Arb {
  const name = pick(level, one('cache', 'backup', 'scratch'), one('tools', 'runtime', 'tmp', 'data', 'tls-server', 'auth', 'snapshots', 'jwt-key'));
  return fc.oneof(
    name.map(n => scoped('kplus.Volume.fromEmptyDir', n)),
    fc.tuple(name, secret(level)).map(([n, s]) => scoped('kplus.Volume.fromSecret', s, { name: n })),
    fc.tuple(name, dnsLabel(level, ['settings'])).map(([n, cm]) => scoped('kplus.Volume.fromConfigMap', scoped('kplus.ConfigMap.fromConfigMapName', cm), { name: n })),
  );
}

function volumeMount(level: Level): Arb {
  return fc.record({
    volume: volume(level),
    path: pick(level, one('/cache', '/backup', '/scratch'), one(...BAD_MOUNT_PATHS)),
    readOnly: fc.option(fc.boolean(), { nil: undefined }),
    subPath: fc.option(one('sub', 'a/b'), { nil: undefined }),
  }, { requiredKeys: ['volume', 'path'] });
}

function claimTemplate(level: Level): Arb {
  return fc.record({
    name: pick(level, one('wal', 'backup'), one('data', 'etcd-data', 'tools', 'cache', ...BAD_DNS_LABELS)),
    size: sizeNear(level, [GiB, 10 * GiB], [GiB]),
    storageClassName: one('fast', ''),
    accessModes: accessModes(level),
    mountPath: pick(level, one('/wal', '/wal2'), one(...BAD_MOUNT_PATHS)),
  }, { requiredKeys: ['name', 'size'] });
}

/**
 * A user container (sidecar or init container). Its securityContext and resources may be set
 * explicitly to anything; the property then allows exactly those fields to differ from the
 * secure defaults.
 */
function userContainer(level: Level): Arb {
  return group({
    name: pick(level, one('backup', 'proxy', 'init-perms', 'exporter'), one('tools', 'etcd', 'main', 'Bad Name', '', 'x'.repeat(64))),
    portNumber: port(level, [8080, 9090]).filter(p => typeof p === 'number' && p >= 1 && p <= 65535 && Number.isInteger(p)),
    command: one(['/bin/sh', '-c', 'sleep infinity'], ['/backup']),
    envVariables: fc.dictionary(one('MODE', 'LEVEL') as fc.Arbitrary<string>, fc.constant(call('kplus.EnvValue.fromValue', 'x')), { maxKeys: 2, noNullPrototype: true }),
    securityContext: group({
      ensureNonRoot: fc.boolean(),
      privileged: fc.boolean(),
      readOnlyRootFilesystem: fc.boolean(),
      allowPrivilegeEscalation: fc.boolean(),
      user: one(1001, 0, 2000),
      group: one(1001, 0),
      capabilities: group({
        add: list(members('kplus.Capability', { NET_ADMIN: 0, SYS_ADMIN: 0, NET_BIND_SERVICE: 0 }), 2),
        drop: list(members('kplus.Capability', { ALL: 0, NET_RAW: 0 }), 2),
      }, 60),
      seccompProfile: one({ type: ref('kplus.SeccompProfileType.RUNTIME_DEFAULT') }, { type: ref('kplus.SeccompProfileType.UNCONFINED') }),
    }, 30),
    resources: one(
      {},
      { cpu: { request: call('kplus.Cpu.millis', 50), limit: call('kplus.Cpu.millis', 100) } },
      { memory: { request: call('Size.mebibytes', 64), limit: call('Size.mebibytes', 128) } },
      { cpu: { request: call('kplus.Cpu.millis', 50), limit: call('kplus.Cpu.millis', 100) }, memory: { request: call('Size.mebibytes', 64), limit: call('Size.mebibytes', 128) } },
    ),
    volumeMounts: list(fc.record({ path: one('/cache', '/backup', '/var/lib/etcd'), volume: volume(level) }), 2),
    readiness: one(call('kplus.Probe.fromTcpSocket', { port: 8080 })),
  }, 30).map(c => ({ image: 'example/sidecar:1', ...c }));
}

function handler(): Arb {
  return one(
    call('kplus.Handler.fromCommand', ['/tools/bin/sh', '-c', 'sleep 5']),
    call('kplus.Handler.fromHttpGet', '/livez', { port: 2381 }),
    call('kplus.Handler.fromTcpSocket', { port: 2379 }),
  );
}

function reconcileJob(level: Level): Arb {
  return group({
    ttlAfterFinished: durationNear(level, [3_600_000, 0, 86_400_000], [0, 1000]),
    backoffLimit: count(level, 0, 100, [0, 6]),
    timeout: durationNear(level, [600_000, 30_000], [30_000]),
    resourcesPreset: resourcesPreset(level),
  });
}

// TLS ------------------------------------------------------------------------------------------

function tlsKeys(level: Level): Arb {
  const bad = one('', 'bad key', 'a/b', 'tls.crt', 'tls.key', 'ca.crt');
  return group({
    cert: pick(level, one('tls.crt', 'cert.pem'), bad),
    privateKey: pick(level, one('tls.key', 'key.pem'), bad),
    ca: pick(level, one('ca.crt', 'ca.pem'), bad),
  }, 30);
}

function tlsSource(level: Level): Arb {
  return fc.oneof(
    fc.constant(call('TlsSource.none')),
    fc.constant(call('TlsSource.auto')),
    fc.tuple(secret(level), fc.option(tlsKeys(level), { nil: undefined }))
      .map(([s, k]) => (k === undefined ? call('TlsSource.fromSecret', s) : call('TlsSource.fromSecret', s, k))),
    fc.constant(call('TlsSource.certManager')),
  );
}

function certManager(level: Level): Arb {
  const issuerName = pick(level, one('ca-issuer', 'letsencrypt'), one('', 'Bad Name'));
  return group({
    issuer: fc.oneof(issuerName.map(n => call('CertManagerIssuer.issuer', n)), issuerName.map(n => call('CertManagerIssuer.clusterIssuer', n))),
    selfSignedCa: fc.boolean(),
    keyAlgorithm: members('KeyAlgorithm', KeyAlgorithm),
    keySize: pick(level, one(2048, 256), one(3072, 4096, 384, 521, 1024, 0, -1, 256.5)),
    duration: durationNear(level, [90 * 86_400_000, 365 * 86_400_000], [3_600_000]),
    renewBefore: durationNear(level, [30 * 86_400_000, 86_400_000], [300_000, 3_600_000, 90 * 86_400_000]),
    extraDnsNames: list(pick(level, one('etcd.example.com', '*.example.com'), one('', 'Bad Name', '*.*.x', 'x'.repeat(300))), 2),
  }, 40);
}

function tls(level: Level): Arb {
  return group({
    peer: tlsSource(level),
    client: tlsSource(level),
    clientCertAuth: fc.boolean(),
    peerCertAuth: fc.boolean(),
    certManager: certManager(level),
    jobCredentials: secret(level),
  }, 45).map(t => (level < 2 ? coherentTls(t) : t));
}

const kindOf = (source: unknown) => (source instanceof Expr ? source.path.split('.')[1] : 'none');
const hasCa = (source: unknown) => ['fromSecret', 'certManager'].includes(kindOf(source));

/** Strict cases: drop the options that only apply to sources not chosen, add an issuer where one is needed. */
function coherentTls(t: { [k: string]: unknown }): { [k: string]: unknown } {
  const usesCm = kindOf(t.peer) === 'certManager' || kindOf(t.client) === 'certManager';
  let cm = t.certManager as { [k: string]: unknown } | undefined;
  if (usesCm) {
    cm = { ...cm };
    if (cm.issuer && cm.selfSignedCa) {
      delete cm.selfSignedCa;
    }
    if (!cm.issuer && !cm.selfSignedCa) {
      cm.selfSignedCa = true;
    }
  }
  return strip({
    ...t,
    certManager: usesCm ? cm : undefined,
    clientCertAuth: hasCa(t.client) ? t.clientCertAuth : undefined,
    peerCertAuth: hasCa(t.peer) ? t.peerCertAuth : undefined,
    jobCredentials: kindOf(t.client) === 'fromSecret' ? t.jobCredentials : undefined,
  });
}

// Auth ------------------------------------------------------------------------------------------

const JWT_METHODS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EDDSA', 'HS256', 'HS384', 'HS512'];

function auth(level: Level): Arb {
  return group({
    rootPassword: secretValue(level),
    generateRootPassword: fc.boolean(),
    passwordFromEnv: fc.boolean(),
    tokenType: members('AuthTokenType', AuthTokenType),
    // RSA keys are slow to generate: the elliptic methods come first and more often.
    jwtSignMethod: fc.oneof(
      { arbitrary: statics('JwtSignMethod', ['ES256', 'ES384', 'ES512', 'EDDSA', 'HS256']), weight: 4 },
      { arbitrary: statics('JwtSignMethod', JWT_METHODS), weight: 1 },
      { arbitrary: pick(level, one('ES256', 'HS512'), one('none', '', 'rs256', 'EdDSA')).map(n => call('JwtSignMethod.of', n)), weight: 1 },
    ),
    jwtTtl: durationNear(level, [600_000, 60_000], [1000]),
    jwtPrivateKey: secretValue(level),
    generateJwtKey: fc.boolean(),
  }, 35).map(a => (level < 2 ? coherentAuth(a) : a));
}

function coherentAuth(a: { [k: string]: unknown }): { [k: string]: unknown } {
  const out = { ...a };
  if (out.rootPassword && out.generateRootPassword) {
    delete out.generateRootPassword;
  }
  if (!out.rootPassword && !out.generateRootPassword) {
    out.generateRootPassword = true;
  }
  if (out.jwtPrivateKey && out.generateJwtKey) {
    delete out.generateJwtKey;
  }
  const jwtSet = ['jwtSignMethod', 'jwtTtl', 'jwtPrivateKey', 'generateJwtKey'].some(k => out[k] !== undefined);
  if (jwtSet || (out.tokenType instanceof Expr && out.tokenType.path.endsWith('JWT'))) {
    out.tokenType = ref('AuthTokenType.JWT');
    if (!out.jwtPrivateKey && !out.generateJwtKey) {
      out.generateJwtKey = true;
    }
    const method = out.jwtSignMethod instanceof Expr ? out.jwtSignMethod : undefined;
    if (out.generateJwtKey && method && /HS|of/.test(method.path + String(method.args[0] ?? ''))) {
      out.jwtSignMethod = ref('JwtSignMethod.ES256');
    }
  }
  return out;
}

// Metrics ---------------------------------------------------------------------------------------

function relabeling(level: Level): Arb {
  return group({
    action: members('RelabelAction', RelabelAction),
    sourceLabels: list(pick(level, one('__meta_kubernetes_pod_name', 'job', 'instance'), one('', 'bad-label', '1x')), 2),
    separator: one(';', ''),
    targetLabel: pick(level, one('pod', 'cluster', '__tmp'), one('', 'bad-label', '1x', '${1}')),
    regex: one('(.*)', 'etcd-.*', ''),
    modulus: count(level, 1, 1000, [8]),
    replacement: one('$1', ''),
  }, 40).map(r => (level < 2 ? { targetLabel: 'pod', modulus: 8, ...r } : r));
}

function monitor(level: Level): Arb {
  const scrapeTls = group({
    ca: secretValue(level),
    cert: secretValue(level),
    key: secretValue(level),
    serverName: one('etcd.etcd.svc', ''),
    insecureSkipVerify: fc.boolean(),
  }, 40);
  return group({
    enabled: pick(level, fc.constant(true), fc.boolean()),
    namespace: dnsLabel(level, ['monitoring', 'etcd']),
    labels: labels(level),
    interval: durationNear(level, [30_000, 15_000, 60_000], [1, 1000]),
    scrapeTimeout: durationNear(level, [10_000], [1, 1000, 30_000]),
    port: members('ScrapePort', ScrapePort),
    scheme: members('ScrapeScheme', ScrapeScheme),
    tlsConfig: scrapeTls,
    honorLabels: fc.boolean(),
    relabelings: list(relabeling(level), 2),
    metricRelabelings: list(relabeling(level), 2),
  }, 30).map(m => (level < 2 ? coherentMonitor(m) : m));
}

function coherentMonitor(m: { [k: string]: unknown }): { [k: string]: unknown } {
  const out: { [k: string]: unknown } = { ...m, enabled: true };
  if (out.tlsConfig || isRef(out.scheme, 'ScrapeScheme.HTTPS')) {
    out.scheme = ref('ScrapeScheme.HTTPS');
    out.port = ref('ScrapePort.CLIENT');
  }
  const t = out.tlsConfig as { [k: string]: unknown } | undefined;
  if (t && !t.cert !== !t.key) {
    out.tlsConfig = strip({ ...t, cert: undefined, key: undefined });
  }
  if ((msOf(out.scrapeTimeout) ?? 0) > (msOf(out.interval) ?? 30_000)) {
    delete out.scrapeTimeout;
  }
  return out;
}

function thresholds(level: Level): Arb {
  const percent = pick(level, one(1, 5, 50, 100), one(0, -1, 100.5, 1e21, Number.NaN, 0.001));
  const latency = durationNear(level, [150, 500, 1000], [1]);
  return group({
    leaderChanges: count(level, 1, 1000, [4, 10]),
    failedGrpcRequestsWarningPercent: percent,
    failedGrpcRequestsCriticalPercent: percent,
    grpcRequestLatency: latency,
    peerRoundTripTime: latency,
    failedProposalsPerSecond: pick(level, one(5, 0.5), one(0, -1, Number.NaN, 1e21)),
    fsyncDurationWarning: latency,
    fsyncDurationCritical: latency,
    commitDuration: latency,
    databaseQuotaUsedPercent: percent,
    databaseGrowthHorizon: durationNear(level, [4 * 3_600_000, 3_600_000], [1000]),
    fragmentationInUseRatio: pick(level, one(0.5, 0.25), one(0, 1, -0.5, 1.5, Number.NaN)),
    fragmentationMinInUseSize: sizeNear(level, [100 * MiB], [0, 1]),
  }, 25).map(t => (level < 2 ? coherentThresholds(t) : t));
}

/** Critical thresholds above the warning ones. */
function coherentThresholds(t: { [k: string]: unknown }): { [k: string]: unknown } {
  const out = { ...t };
  if (((out.failedGrpcRequestsCriticalPercent ?? 5) as number) <= ((out.failedGrpcRequestsWarningPercent ?? 1) as number)) {
    delete out.failedGrpcRequestsCriticalPercent;
    delete out.failedGrpcRequestsWarningPercent;
  }
  if ((msOf(out.fsyncDurationCritical) ?? 1000) <= (msOf(out.fsyncDurationWarning) ?? 500)) {
    delete out.fsyncDurationCritical;
    delete out.fsyncDurationWarning;
  }
  return out;
}

function alertRule(level: Level): Arb {
  return fc.record({
    name: pick(level, one('EtcdBackupMissing', 'MyAlert'), one('', '  ', 'etcdNoLeader', 'etcdMembersDown')),
    expression: pick(level, one('up == 0', 'etcd_server_has_leader == 0'), one('', '   ')),
    pendingFor: durationNear(level, [300_000, 0], [0, 1]),
    severity: members('AlertSeverity', AlertSeverity),
    summary: one('Something is wrong.', ''),
    description: one('Look at it.'),
    labels: fc.dictionary(pick(level, one('team', 'routing_key'), one('severity', 'bad-label')) as fc.Arbitrary<string>, one('etcd'), { maxKeys: 2, noNullPrototype: true }),
    annotations: fc.dictionary(one('runbook_url') as fc.Arbitrary<string>, one('https://example.com'), { maxKeys: 1, noNullPrototype: true }),
  }, { requiredKeys: ['name', 'expression'] });
}

function prometheusRule(level: Level): Arb {
  const alertName = pick(level, one(...EtcdMetrics.defaultAlertNames()), one('bogus', ''));
  return group({
    enabled: pick(level, fc.constant(true), fc.boolean()),
    namespace: dnsLabel(level, ['monitoring']),
    labels: labels(level),
    defaultAlerts: fc.boolean(),
    disabledAlerts: list(alertName, 3),
    thresholds: thresholds(level),
    severities: fc.dictionary(alertName as fc.Arbitrary<string>, members('AlertSeverity', AlertSeverity), { maxKeys: 2, noNullPrototype: true }),
    alertLabels: fc.dictionary(pick(level, one('team', 'cluster_name'), one('severity', 'bad-label', '')) as fc.Arbitrary<string>,
      one('etcd', ''), { maxKeys: 2, noNullPrototype: true }),
    extraAlerts: list(alertRule(level), 2),
    seriesSelector: pick(level, one('job="etcd"', 'job="etcd", namespace="db"', 'job=~"etcd.*",'), one('', 'job', '{job="etcd"}', 'job="x" or 1')),
    instanceLabels: pick(level, one(['instance', 'pod'], ['instance']), one([], ['bad-label'], [''])),
  }, 30).map(r => (level < 2 ? { enabled: true, ...r } : r));
}

function metrics(level: Level): Arb {
  return group({
    enabled: pick(level, fc.constant(true), fc.boolean()),
    scrapeAnnotations: fc.boolean(),
    level: members('MetricsLevel', MetricsLevel),
    podMonitor: monitor(level),
    serviceMonitor: monitor(level),
    prometheusRule: prometheusRule(level),
  }, 35).map(m => (level < 2 ? coherentMetrics(m) : m));
}

function coherentMetrics(m: { [k: string]: unknown }): { [k: string]: unknown } {
  const out = { ...m };
  if (out.podMonitor && out.serviceMonitor) {
    delete out.serviceMonitor;
  }
  if (out.podMonitor || out.serviceMonitor || out.prometheusRule) {
    out.enabled = true;
  }
  const rule = out.prometheusRule as { [k: string]: unknown } | undefined;
  if (rule) {
    const r = { ...rule };
    if (!out.podMonitor && !out.serviceMonitor && r.seriesSelector === undefined) {
      r.seriesSelector = 'job="etcd"';
    }
    if (r.defaultAlerts === false && !(r.extraAlerts as unknown[] | undefined)?.length) {
      delete r.defaultAlerts;
    }
    if (out.level instanceof Expr && out.level.path.endsWith('BASIC')) {
      delete out.level;
    }
    out.prometheusRule = r;
  }
  return out;
}

// Scheduling --------------------------------------------------------------------------------------

const NODE_LABEL_KEYS = ['node-role.kubernetes.io/etcd', 'topology.kubernetes.io/zone', 'disk'];

function nodeKey(level: Level): fc.Arbitrary<string> {
  return pick(level, one(...NODE_LABEL_KEYS), one(...BAD_LABEL_KEYS)) as fc.Arbitrary<string>;
}

function topology(level: Level): Arb {
  return fc.oneof(
    statics('kplus.Topology', ['HOSTNAME', 'ZONE', 'REGION']),
    nodeKey(level).map(k => call('kplus.Topology.custom', k)),
  );
}

function namespaceSelector(level: Level): Arb {
  return fc.oneof(
    fc.constant(scoped('kplus.Namespaces.all')),
    group({ names: list(dnsLabel(level, ['etcd', 'apps', 'monitoring']), 2), labels: labels(level) }, 60)
      .map(o => scoped('kplus.Namespaces.select', o)),
  );
}

/** A pod selector: `Pods.select` (with or without namespaces), `Pods.all`, or a Deployment in another chart. */
function podSelector(level: Level): Arb {
  return fc.oneof(
    group({ labels: labels(level), namespaces: namespaceSelector(level) }, 60).map(o => scoped('kplus.Pods.select', o)),
    fc.constant(scoped('kplus.Pods.all')),
    fc.option(dnsLabel(level, ['apps', 'etcd']), { nil: undefined }).map(ns => new Expr('workload', '', [ns])),
  );
}

function nodeLabelQuery(level: Level): Arb {
  const values = list(pick(level, one('a', 'ssd', 'eu-1'), one('', 'bad value')), 2);
  return fc.oneof(
    fc.tuple(nodeKey(level), values).map(([k, v]) => call('kplus.NodeLabelQuery.in', k, v)),
    fc.tuple(nodeKey(level), values).map(([k, v]) => call('kplus.NodeLabelQuery.notIn', k, v)),
    nodeKey(level).map(k => call('kplus.NodeLabelQuery.exists', k)),
    nodeKey(level).map(k => call('kplus.NodeLabelQuery.doesNotExist', k)),
    fc.tuple(nodeKey(level), one('a', 'ssd')).map(([k, v]) => call('kplus.NodeLabelQuery.is', k, v)),
    nodeKey(level).map(k => call('kplus.NodeLabelQuery.gt', k, ['5'])),
  );
}

function weight(level: Level): Arb {
  return fc.option(count(level, 1, 100, [1, 50, 100]), { nil: undefined });
}

function affinityPreset(level: Level): Arb {
  return pick(level, members('AffinityPreset', AffinityPreset), one('bogus', ''));
}

function scheduling(level: Level): Arb {
  const podTerm = fc.record({ pods: podSelector(level), topology: topology(level), weight: weight(level) }, { requiredKeys: [] }).map(strip);
  return group({
    podAntiAffinity: affinityPreset(level),
    podAffinity: affinityPreset(level),
    nodeAffinity: fc.record({
      type: affinityPreset(level),
      key: nodeKey(level),
      values: list(pick(level, one('true', 'ssd'), one('', 'bad value')), 2),
    }, { requiredKeys: ['type'] }),
    affinity: group({
      nodeAffinity: list(fc.record({ matches: nonEmpty(level, nodeLabelQuery(level)), weight: weight(level) }, { requiredKeys: ['matches'] }), 2),
      podAffinity: list(podTerm, 2),
      podAntiAffinity: list(podTerm, 2),
    }, 50),
    topologySpread: list(group({
      topology: topology(level),
      maxSkew: count(level, 1, 10, [1, 2]),
      whenUnsatisfiable: pick(level, members('WhenUnsatisfiable', WhenUnsatisfiable), one('bogus')),
      minDomains: count(level, 1, 10, [3]),
    }, 40), 2),
    nodeSelector: labels(level),
    tolerations: list(group({
      key: nodeKey(level),
      operator: pick(level, members('TolerationOperator', TolerationOperator), one('bogus')),
      value: pick(level, one('true', 'etcd'), one('', 'bad value')),
      effect: members('kplus.TaintEffect', kplus.TaintEffect),
      evictAfter: durationNear(level, [300_000, 0], [0, 1000]),
    }, 40), 2),
  }, 30).map(s => (level < 2 ? coherentScheduling(s) : s));
}

function coherentScheduling(s: { [k: string]: unknown }): { [k: string]: unknown } {
  const out = { ...s };
  if (out.affinity) {
    delete out.podAntiAffinity;
    delete out.podAffinity;
    delete out.nodeAffinity;
  }
  if (isRef(out.podAffinity, 'AffinityPreset.HARD') && isRef(out.podAntiAffinity, 'AffinityPreset.HARD')) {
    delete out.podAffinity;
  }
  const node = out.nodeAffinity as { type: unknown; key?: string; values?: string[] } | undefined;
  if (node) {
    out.nodeAffinity = isRef(node.type, 'AffinityPreset.NONE')
      ? { type: node.type }
      : { ...node, key: node.key ?? 'disk', values: node.values?.length ? node.values : ['ssd'] };
  }
  const tolerations = out.tolerations as Array<{ [k: string]: unknown }> | undefined;
  if (tolerations) {
    out.tolerations = tolerations.map(t => {
      const x = { ...t };
      if (x.key === undefined) {
        x.operator = ref('TolerationOperator.EXISTS');
      }
      if (isRef(x.operator, 'TolerationOperator.EXISTS')) {
        delete x.value;
      }
      if (x.evictAfter !== undefined) {
        x.effect = ref('kplus.TaintEffect.NO_EXECUTE');
      }
      return x;
    });
  }
  const spread = out.topologySpread as Array<{ [k: string]: unknown }> | undefined;
  if (spread) {
    out.topologySpread = uniqueBy(spread.map(x => (isRef(x.whenUnsatisfiable, 'WhenUnsatisfiable.SCHEDULE_ANYWAY') ? strip({ ...x, minDomains: undefined }) : x)),
      x => [x.topology ?? 'zone', x.whenUnsatisfiable]);
  }
  return out;
}

// Network policy ------------------------------------------------------------------------------------

function networkPeer(level: Level): Arb {
  const cidr = pick(level, one('10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'), one('', '10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', '::/129', 'x'));
  return fc.oneof(
    podSelector(level).map(s => call('NetworkPeer.pods', s)),
    namespaceSelector(level).map(s => call('NetworkPeer.namespaces', s)),
    fc.tuple(labels(level), fc.option(labels(level), { nil: undefined }))
      .map(([p, n]) => (n === undefined ? call('NetworkPeer.labels', p) : call('NetworkPeer.labels', p, n))),
    fc.constant(call('NetworkPeer.sameNamespace')),
    fc.constant(call('NetworkPeer.anyPod')),
    fc.tuple(cidr, fc.option(list(pick(level, one('10.1.0.0/16'), one('10.0.0.0/8', '11.0.0.0/16', '')), 2), { nil: undefined }))
      .map(([c, e]) => (e === undefined ? call('NetworkPeer.ipBlock', c) : call('NetworkPeer.ipBlock', c, e))),
    fc.constant(call('NetworkPeer.anywhere')),
  );
}

function networkPolicyPort(level: Level): Arb {
  const p = port(level, [5432, 8080]).filter(x => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65535);
  return fc.oneof(
    p.map(x => call('kplus.NetworkPolicyPort.tcp', x)),
    p.map(x => call('kplus.NetworkPolicyPort.udp', x)),
    fc.constant(call('kplus.NetworkPolicyPort.tcpRange', 1000, 2000)),
    fc.constant(call('kplus.NetworkPolicyPort.allTcp')),
  );
}

/** A list that is never empty at level 0 (where an empty one is an error). */
function nonEmpty(level: Level, arb: Arb, maxLength = 2): Arb {
  return pick(level, fc.array(arb, { minLength: 1, maxLength }), list(arb, maxLength));
}

function networkPolicyRule(level: Level): Arb {
  return group({ peers: nonEmpty(level, networkPeer(level)), ports: nonEmpty(level, networkPolicyPort(level)) }, 60);
}

function networkPolicy(level: Level): Arb {
  return group({
    enabled: pick(level, fc.constant(true), fc.boolean()),
    allowExternal: fc.boolean(),
    allowSameNamespace: fc.boolean(),
    clientPeers: list(networkPeer(level), 2),
    clientNamespaceLabels: labels(level),
    clientNamespacePodLabels: labels(level),
    scrapers: list(networkPeer(level), 2),
    allowExternalEgress: fc.boolean(),
    extraIngress: list(networkPolicyRule(level), 2),
    extraEgress: list(networkPolicyRule(level), 2),
  }, 30).map(n => (level < 2 ? coherentNetworkPolicy(n) : n));
}

function coherentNetworkPolicy(n: { [k: string]: unknown }): { [k: string]: unknown } {
  const out = { ...n };
  if (out.allowExternal) {
    delete out.allowSameNamespace;
    delete out.clientPeers;
    delete out.clientNamespaceLabels;
    delete out.clientNamespacePodLabels;
  }
  if (out.clientNamespacePodLabels && !out.clientNamespaceLabels) {
    delete out.clientNamespacePodLabels;
  }
  if (out.extraEgress) {
    out.allowExternalEgress = false;
  }
  return out;
}

// Jobs, disaster recovery, defrag ------------------------------------------------------------------

function cron(level: Level): Arb {
  return pick(level,
    one(call('Cron.daily'), call('Cron.hourly'), call('Cron.schedule', { minute: '*/30' }), call('Cron.schedule', { minute: '0', hour: '3', weekDay: 'SUN' })),
    one(call('Cron.schedule', { minute: '60' }), call('Cron.schedule', { minute: 'x' }), call('Cron.schedule', { hour: '24' }),
      call('Cron.schedule', { minute: '*/0' }), call('Cron.schedule', { day: '0' }), call('Cron.schedule', { minute: '1-70' }),
      call('Cron.everyMinute'), call('Cron.annually'), call('Cron.schedule', { minute: '' })));
}

function taintQuery(level: Level): Arb {
  const effect = members('kplus.TaintEffect', kplus.TaintEffect);
  return fc.oneof(
    fc.tuple(nodeKey(level), one('etcd', ''), fc.option(effect, { nil: undefined }))
      .map(([k, v, e]) => call('kplus.NodeTaintQuery.is', k, v, e === undefined ? {} : { effect: e })),
    fc.tuple(nodeKey(level), one(0, 300)).map(([k, s]) => call('kplus.NodeTaintQuery.exists', k,
      { effect: ref('kplus.TaintEffect.NO_EXECUTE'), evictAfter: call('Duration.seconds', s) })),
    fc.constant(call('kplus.NodeTaintQuery.any')),
  );
}

/** EtcdCronJobOptions (and EtcdJobPodOptions). */
function cronJobOptions(level: Level): { [key: string]: Arb } {
  return {
    schedule: cron(level),
    suspend: fc.boolean(),
    concurrencyPolicy: members('kplus.ConcurrencyPolicy', kplus.ConcurrencyPolicy),
    successfulJobsHistoryLimit: count(level, 0, 100, [0, 1, 3]),
    failedJobsHistoryLimit: count(level, 0, 100, [1, 3]),
    startingDeadline: durationNear(level, [60_000, 10_000], [10_000]),
    activeDeadline: durationNear(level, [3_600_000, 1000], [1000]),
    backoffLimit: count(level, 0, 100, [0, 2]),
    resourcesPreset: resourcesPreset(level),
    resources: containerResources(level),
    nodeSelector: labels(level),
    tolerations: list(taintQuery(level), 2),
    podLabels: labels(level),
    podAnnotations: annotations(level),
    serviceAccount: dnsLabel(level, ['backup-sa']).map(n => scoped('kplus.ServiceAccount.fromServiceAccountName', n)),
  };
}

function subPath(level: Level): Arb {
  return pick(level, one('etcd', 'daily/etcd'), one('', '/abs', '../x', 'a/../b', '..', 'a/..'));
}

function revisionBump(level: Level): Arb {
  return count(level, 0, Number.MAX_SAFE_INTEGER, [0, 1_000_000_000]);
}

function disasterRecovery(level: Level): Arb {
  const claim = group({
    size: sizeNear(level, [2 * GiB, 10 * GiB], [0, GiB]),
    storageClassName: one('nfs', ''),
    accessModes: accessModes(level),
    annotations: annotations(level),
  }, 40);
  return group({
    ...cronJobOptions(level),
    volume: fc.oneof(
      fc.option(claim, { nil: undefined }).map(o => (o === undefined ? call('SnapshotVolume.newClaim') : call('SnapshotVolume.newClaim', o))),
      dnsLabel(level, ['etcd-backups']).map(n => call('SnapshotVolume.fromClaim', n)),
    ),
    subPath: subPath(level),
    snapshotsToKeep: count(level, 1, 1000, [1, 3, 10]),
    automaticRecovery: fc.boolean(),
    bumpRevision: revisionBump(level),
  }, 20);
}

function startFromSnapshot(level: Level): Arb {
  return fc.record({
    claimName: dnsLabel(level, ['etcd-backups', 'restore']),
    fileName: pick(level, one('snapshot.db', 'etcd-2025.db'), one('', '.', '..', 'a/b', '/abs.db')),
    subPath: subPath(level),
    bumpRevision: revisionBump(level),
  }, { requiredKeys: ['claimName', 'fileName'] });
}

function defrag(level: Level): Arb {
  return group({ ...cronJobOptions(level), minFragmentationPercent: count(level, 0, 99, [10, 0, 50]) }, 20);
}

// ---------------------------------------------------------------------------------------------
// The whole props space
// ---------------------------------------------------------------------------------------------

const NAMES = ['etcd', 'db', 'etcd-main', 'e'];
/** Names at the limits: 43 fits the snapshot CronJob, 44 the reconcile Job, 45 the defrag CronJob, 52 the StatefulSet. */
const EDGE_NAMES = [...BAD_DNS_LABELS, 'a'.repeat(43), 'a'.repeat(44), 'a'.repeat(45), 'a'.repeat(46), 'a'.repeat(52), 'a'.repeat(53), '0', '9-a'];

/** Every prop of EtcdClusterProps. */
function propsArb(level: Level): fc.Arbitrary<{ [k: string]: unknown }> {
  const secondsNear = (typical: number[], bounds: number[]) => durationNear(level, typical.map(s => s * 1000), bounds.map(s => s * 1000));
  // The name is set more often than other props: it is what collisions between object names need.
  const name = fc.record({ name: maybe(pick(level, one(...NAMES), one(...EDGE_NAMES)), 40) }).map(strip);
  const core = group({
    replicas: pick(level, one(1, 3, 5), one(2, 4, 6, 7, 9, 0, -1, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 101)),
    image: image(level, 'EtcdImage'),
    toolsImage: image(level, 'ToolsImage'),
    ports: group({ client: port(level, [2379, 12379]), peer: port(level, [2380, 12380]), metrics: port(level, [2381, 9090]) }, 40),
    clusterDomain: pick(level, one('cluster.local', 'k8s.example.com'), one('', 'Cluster.Local', 'cluster.local.', '.local', 'a_b.local', 'a')),
    initialClusterToken: pick(level, one('etcd-cluster-1', 'A.b_c-1'), one('', ' token', 'a token', '-x', 'x'.repeat(300))),
    logLevel: members('LogLevel', LogLevel),
    maxProcs: count(level, 1, 1024, [1, 2, 4]),
    heartbeatInterval: durationNear(level, [100, 200], [1, 100, 10_000]),
    electionTimeout: durationNear(level, [1000, 2000, 5000], [500, 1000, 50_000]),
    snapshotCount: count(level, 1, 1e9, [10000, 100000]),
    quotaBackendBytes: sizeNear(level, [2 * GiB, 512 * MiB, 4 * GiB], [2 * GiB, 8 * GiB]),
    autoCompaction: autoCompaction(level),
    maxRequestBytes: sizeNear(level, [1536, 4 * MiB], [1, MiB]),
  }, 15);
  const pod = group({
    extraEnv: fc.dictionary(envName(level), envValue(level), { maxKeys: 2, noNullPrototype: true }),
    extraEnvFrom: list(envFrom(level), 2),
    persistence: persistence(level),
    securityContext: securityContext(level),
    probes: group({ startup: probe(level), readiness: probe(level), liveness: probe(level) }, 40),
    resourcesPreset: resourcesPreset(level),
    resources: containerResources(level),
    labels: labels(level),
    annotations: annotations(level),
    podLabels: labels(level),
    podAnnotations: annotations(level),
    clientService: clientService(level),
    headlessServiceAnnotations: annotations(level),
    serviceAccount: serviceAccount(level),
    podDisruptionBudget: group({ enabled: fc.boolean(), maxUnavailable: count(level, 0, 9, [0, 1]) }, 40),
    updateStrategy: fc.oneof(
      fc.constant(call('kplus.StatefulSetUpdateStrategy.rollingUpdate')),
      one(0, 1, 2).map(p => call('kplus.StatefulSetUpdateStrategy.rollingUpdate', { partition: p })),
      fc.constant(call('kplus.StatefulSetUpdateStrategy.onDelete')),
    ),
    extraVolumes: list(volume(level), 2),
    extraVolumeMounts: list(volumeMount(level), 2),
    extraVolumeClaimTemplates: list(claimTemplate(level), 2),
    sidecars: list(userContainer(level), 2),
    initContainers: list(userContainer(level), 2),
    lifecycle: group({ postStart: handler(), preStop: handler() }, 60),
    hostAliases: list(fc.record({ ip: one('10.0.0.1', '::1'), hostnames: list(one('a', 'etcd.example.com'), 2) }), 2),
    terminationGracePeriod: secondsNear([30, 120, 0], [0, 1]),
    priorityClassName: one('system-cluster-critical', 'high'),
    schedulerName: one('default-scheduler', 'custom'),
    runtimeClassName: one('gvisor', 'kata'),
    shareProcessNamespace: fc.boolean(),
    imagePullSecrets: list(secret(level), 2),
    diagnosticMode: fc.boolean(),
    reconcileJob: reconcileJob(level),
  }, 12);
  const features = group({
    tls: tls(level),
    auth: auth(level),
    disasterRecovery: disasterRecovery(level),
    startFromSnapshot: startFromSnapshot(level),
    defrag: defrag(level),
    metrics: metrics(level),
    scheduling: scheduling(level),
    networkPolicy: networkPolicy(level),
  }, 30);
  return fc.tuple(name, core, pod, features).map(([n, a, b, c]) => ({ ...n, ...a, ...b, ...c }));
}

/** Calls of the cluster's public methods after construction. */
function callsArb(level: Level): fc.Arbitrary<Call[]> {
  const c = (target: string, method: string, args: Arb) => args.map(a => ({ target, method, args: a as unknown[] }));
  const commonName = pick(level, one('app', 'reader', 'root', 'App.User'), one('', 'with space', 'a,b', 'x'.repeat(65), 'x'.repeat(64)));
  const secretName = fc.option(pick(level, one('app-etcd-tls', 'etcd-server-tls', 'etcd-client-tls'), one('', 'Bad Name', 'x'.repeat(254))), { nil: undefined });
  const call1 = fc.oneof(
    c('cluster', 'allowClient', fc.tuple(podSelector(level))),
    c('cluster', 'allowClientLabels', fc.oneof(fc.tuple(labels(level)), fc.tuple(labels(level), labels(level)))),
    c('cluster.networkPolicy', 'allowClientFrom', fc.tuple(networkPeer(level))),
    c('cluster.networkPolicy', 'addIngressRule', fc.tuple(networkPolicyRule(level))),
    c('cluster.networkPolicy', 'addEgressRule', fc.tuple(networkPolicyRule(level))),
    c('cluster.metrics', 'addAlert', fc.tuple(alertRule(level))),
    c('cluster.tls', 'addClientCertificate', fc.tuple(fc.constant('App'), fc.tuple(commonName, secretName).map(([n, s]) => strip({ commonName: n, secretName: s })))),
  );
  // Construct ids must differ (the constructs library refuses two of a kind): number them.
  return fc.array(call1, { maxLength: 3 })
    .map(xs => xs.map((x, i) => (x.method === 'addClientCertificate' ? { ...x, args: [`App${i + 1}`, x.args[1]] } : x)));
}

const NAMESPACES = ['etcd', 'prod-db', 'n'.repeat(63)];

/**
 * A case: a namespaced or namespace-less chart, and props; a third each strict (typical values,
 * coherent feature options: most synthesize), mild (the odd edge value) and loose (edge values
 * anywhere).
 */
export function caseArb(levels: Level[] = [0, 1, 2]): fc.Arbitrary<Case> {
  const build = (level: Level) => fc.record({
    namespace: fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined, freq: 4 }),
    props: propsArb(level),
    calls: maybe(callsArb(level), 20),
  }).map(c => strip(level < 2 ? { ...coherentCase(c), calls: c.calls } : c) as unknown as Case);
  return fc.oneof(...levels.map(build));
}

/** Strict and mild cases: cross-group constraints that the groups cannot see on their own. */
function coherentCase(c: { namespace?: string; props: { [k: string]: unknown } }): { namespace?: string; props: { [k: string]: unknown } } {
  const p = { ...c.props };
  const persistenceOff = (p.persistence as { enabled?: boolean } | undefined)?.enabled === false;
  if (p.disasterRecovery && persistenceOff) {
    p.persistence = { ...p.persistence as object, enabled: true };
  }
  const tlsOptions = p.tls as { peer?: unknown; client?: unknown } | undefined;
  const certManagerUsed = tlsOptions && (kindOf(tlsOptions.peer) === 'certManager' || kindOf(tlsOptions.client) === 'certManager');
  const monitorNs = ['podMonitor', 'serviceMonitor', 'prometheusRule']
    .some(k => ((p.metrics as { [m: string]: { namespace?: string } } | undefined)?.[k])?.namespace !== undefined);
  const namespace = c.namespace ?? (certManagerUsed || monitorNs ? 'etcd' : undefined);
  coherentPodExtras(p);
  return { namespace, props: p };
}

/** The name a volume expression gives its volume (`fromEmptyDir(name)`, `fromSecret(secret, { name })`, ...). */
function volumeName(v: unknown): string | undefined {
  if (!(v instanceof Expr)) {
    return undefined;
  }
  return v.path.endsWith('fromEmptyDir') ? v.args[0] as string : (v.args[1] as { name?: string } | undefined)?.name;
}

/**
 * Pod extras that do not clash: one source per volume name, one mount per path, one container per
 * name, one claim template per name (clashes are left to the mild and loose cases).
 */
function coherentPodExtras(p: { [k: string]: unknown }): void {
  type Mount = { volume: unknown; path: string };
  type Container = { name?: string; volumeMounts?: Mount[] };
  const sources = new Map<string, string>();
  const fits = (v: unknown) => {
    const name = volumeName(v) ?? '';
    const key = JSON.stringify({ ...v as object, args: undefined }) + JSON.stringify((v as Expr).args.slice(0, 1));
    if (sources.has(name) && sources.get(name) !== key) {
      return false;
    }
    sources.set(name, key);
    return true;
  };
  if (p.extraVolumes) {
    p.extraVolumes = (p.extraVolumes as unknown[]).filter(fits);
  }
  if (p.extraVolumeClaimTemplates) {
    p.extraVolumeClaimTemplates = uniqueBy(uniqueBy(p.extraVolumeClaimTemplates as Array<{ name: string; mountPath?: string }>, t => t.name),
      t => t.mountPath ?? t.name);
  }
  const taken = new Set([...(p.extraVolumeClaimTemplates as Array<{ mountPath?: string }> | undefined ?? []).map(t => t.mountPath)]);
  if (p.extraVolumeMounts) {
    p.extraVolumeMounts = (p.extraVolumeMounts as Mount[]).filter(m => !taken.has(m.path) && fits(m.volume) && (taken.add(m.path), true));
  }
  const names = new Set<string>();
  for (const k of ['initContainers', 'sidecars']) {
    if (p[k]) {
      p[k] = (p[k] as Container[]).filter(c => !names.has(c.name ?? 'main') && (names.add(c.name ?? 'main'), true))
        .map(c => (c.volumeMounts ? { ...c, volumeMounts: c.volumeMounts.filter(m => fits(m.volume)) } : c));
    }
  }
}
