/**
 * Property-based test over the whole props space (arbitraries in test/arbitraries.ts).
 *
 * For every generated case exactly one of:
 *  1. building the props, the constructor or the synthesis throws the library's own
 *     `EtcdValidationError`, whose message starts with `[cdk8s-etcd]` and names its prop in
 *     backticks (never a TypeError, an undefined access, or an error from inside cdk8s); or
 *  2. synthesis succeeds and every invariant in `checkManifests` holds.
 *
 * Runs: 1000 by default, `PROPERTY_RUNS=20000` for more. Seed: fixed by default (reproducible
 * builds), `PROPERTY_SEED=<n>` to pick one, `PROPERTY_SEED=random` for a fresh one; the seed is
 * printed. A failure prints the shrunk case as TypeScript, the seed and the path to replay it
 * (`PROPERTY_SEED=<seed> PROPERTY_PATH=<path>`).
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { EtcdCluster, EtcdClusterProps, ResourcesPreset } from '../src';
import { Case, caseArb, materialize, printCase } from './arbitraries';
import { validateManifest } from './schema';
import { Manifest } from './util';
import { EtcdValidationError } from '../src/errors';

const DEFAULT_SEED = 20251204;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const SEED = process.env.PROPERTY_SEED === 'random'
  ? Math.floor(Math.random() * 2 ** 31)
  : Number(process.env.PROPERTY_SEED ?? DEFAULT_SEED);
const PATH = process.env.PROPERTY_PATH;

// ---------------------------------------------------------------------------------------------
// Outcome 1: the library's own validation error
// ---------------------------------------------------------------------------------------------

function checkValidationError(e: unknown): string {
  if (!(e instanceof EtcdValidationError)) {
    throw new Error(`expected an EtcdValidationError, got ${e instanceof Error ? e.stack : String(e)}`);
  }
  if (!e.message.startsWith('[cdk8s-etcd] ')) {
    throw new Error(`the message does not start with [cdk8s-etcd]: ${e.message}`);
  }
  if (!e.prop || !e.message.includes(`\`${e.prop}\``)) {
    throw new Error(`the message does not name its prop \`${e.prop}\` in backticks: ${e.message}`);
  }
  return e.prop;
}

// ---------------------------------------------------------------------------------------------
// Outcome 2: invariants of the synthesized objects
// ---------------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Name rules per kind: the pattern and the longest name Kubernetes (and its controllers) allow. */
const NAME_RULES: { [kind: string]: { pattern: RegExp; max: number; what: string } } = {
  // Pods are `<name>-<ordinal>` and the controller-revision-hash label is `<name>-<hash>`.
  StatefulSet: { pattern: DNS1123_LABEL, max: 52, what: 'a DNS-1123 label' },
  // Jobs are `<name>-<scheduled time>`, at most 63.
  CronJob: { pattern: DNS1123_SUBDOMAIN, max: 52, what: 'a DNS-1123 subdomain' },
  // The `job-name` label of its pods carries the name.
  Job: { pattern: DNS1123_LABEL, max: 63, what: 'a DNS-1123 label' },
  Service: { pattern: DNS1035_LABEL, max: 63, what: 'a DNS-1035 label' },
};
const DEFAULT_NAME_RULE = { pattern: DNS1123_SUBDOMAIN, max: 253, what: 'a DNS-1123 subdomain' };

function checkNames(manifests: Manifest[], chartNamespace: string | undefined): void {
  const seen = new Set<string>();
  for (const m of manifests) {
    const name: unknown = m.metadata?.name;
    const rule = NAME_RULES[m.kind] ?? DEFAULT_NAME_RULE;
    if (typeof name !== 'string' || !rule.pattern.test(name) || name.length > rule.max) {
      throw new Error(`${m.kind} name ${JSON.stringify(name)} is not ${rule.what} of at most ${rule.max} characters`);
    }
    const namespace: unknown = m.metadata.namespace ?? chartNamespace;
    if (namespace !== undefined && (typeof namespace !== 'string' || !DNS1123_LABEL.test(namespace) || namespace.length > 63)) {
      throw new Error(`${m.kind}/${name} has namespace ${JSON.stringify(namespace)}, which is not a DNS-1123 label of at most 63 characters`);
    }
    const key = `${m.apiVersion.split('/')[0]} ${m.kind} ${namespace ?? ''}/${name}`;
    if (seen.has(key)) {
      throw new Error(`two ${m.kind} objects named "${name}" in namespace "${namespace ?? '(the chart\'s)'}"`);
    }
    seen.add(key);
  }
}

/** A pod template with where it comes from. */
interface Template {
  readonly where: string;
  readonly spec: Manifest;
  readonly labels: { [key: string]: string };
}

function podTemplates(manifests: Manifest[]): Template[] {
  const out: Template[] = [];
  for (const m of manifests) {
    const t = m.kind === 'CronJob' ? m.spec?.jobTemplate?.spec?.template : ['StatefulSet', 'Job', 'Deployment'].includes(m.kind) ? m.spec?.template : undefined;
    if (t) {
      out.push({ where: `${m.kind}/${m.metadata.name}`, spec: t.spec, labels: t.metadata?.labels ?? {} });
    }
  }
  return out;
}

/**
 * The fields of the restricted security context, and what a container renders for each.
 * `effective` reads a container field with the pod's as fallback where Kubernetes does so.
 */
const SECURE_FIELDS = ['runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'privileged', 'capabilities', 'seccompProfile'] as const;
type SecureField = typeof SECURE_FIELDS[number];

function isSecure(field: SecureField, container: Manifest, pod: Manifest): boolean {
  const sc = container.securityContext ?? {};
  const psc = pod.securityContext ?? {};
  switch (field) {
    case 'runAsNonRoot':
      return (sc.runAsNonRoot ?? psc.runAsNonRoot) === true;
    case 'readOnlyRootFilesystem':
      return sc.readOnlyRootFilesystem === true;
    case 'allowPrivilegeEscalation':
      return sc.allowPrivilegeEscalation === false;
    case 'privileged':
      return sc.privileged !== true;
    case 'capabilities':
      return (sc.capabilities?.drop ?? []).includes('ALL') && !(sc.capabilities?.add ?? []).length;
    case 'seccompProfile':
      return (sc.seccompProfile ?? psc.seccompProfile)?.type === 'RuntimeDefault';
  }
}

/** The cdk8s-plus ContainerSecurityContextProps field a user sets for each rendered field. */
const USER_FIELD: { [field in SecureField]: string } = {
  runAsNonRoot: 'ensureNonRoot',
  readOnlyRootFilesystem: 'readOnlyRootFilesystem',
  allowPrivilegeEscalation: 'allowPrivilegeEscalation',
  privileged: 'privileged',
  capabilities: 'capabilities',
  seccompProfile: 'seccompProfile',
};

function hasRequestsAndLimits(c: Manifest): boolean {
  const r = c.resources;
  return !!r && Object.keys(r.requests ?? {}).length > 0 && Object.keys(r.limits ?? {}).length > 0;
}

/**
 * Whether the user explicitly chose the resources of a library container: explicit `resources`, or
 * `ResourcesPreset.NONE` ("no requests or limits").
 */
function resourcesChosen(options: { resources?: unknown; resourcesPreset?: ResourcesPreset } | undefined): boolean {
  return options?.resources !== undefined || options?.resourcesPreset?.name === 'none';
}

/**
 * Secure defaults of every container in every pod template.
 *
 * The library's own containers (tools, etcd, reconcile, snapshot, defrag) always have the
 * restricted security context: runAsNonRoot true (container or pod level), readOnlyRootFilesystem
 * true, allowPrivilegeEscalation false, not privileged, capabilities drop ALL (and add nothing),
 * seccomp RuntimeDefault (container or pod level); and requests and limits, unless the user chose
 * that container's resources (explicit `resources`, or `ResourcesPreset.NONE`).
 *
 * User containers (`sidecars`, `initContainers`): each of those fields either is secure, or the
 * user set that very field in the container's `securityContext`, and then it is rendered exactly as
 * set (an explicit opt-out is respected, nothing else is weakened); requests and limits unless
 * the container sets `resources` itself.
 *
 * Every pod: no service-account token (automountServiceAccountToken false).
 */
function checkSecurity(manifests: Manifest[], props: EtcdClusterProps): void {
  const user = new Map<string, kplus.ContainerProps>();
  for (const c of [...props.sidecars ?? [], ...props.initContainers ?? []]) {
    user.set(c.name ?? 'main', c);
  }
  const resourceOwners: { [container: string]: boolean } = {
    etcd: resourcesChosen(props),
    reconcile: resourcesChosen(props.reconcileJob),
    snapshot: resourcesChosen(props.disasterRecovery),
    defrag: resourcesChosen(props.defrag),
    tools: false,
  };
  for (const t of podTemplates(manifests)) {
    if (t.spec.automountServiceAccountToken !== false) {
      throw new Error(`${t.where}: the pod mounts a service-account token`);
    }
    const isMembers = t.where.startsWith('StatefulSet/');
    for (const c of [...t.spec.initContainers ?? [], ...t.spec.containers ?? []]) {
      const given = isMembers && !['tools', 'etcd'].includes(c.name) ? user.get(c.name) : undefined;
      if (isMembers && !given && !['tools', 'etcd'].includes(c.name)) {
        throw new Error(`${t.where}: container ${c.name} is neither the library's nor one the user gave`);
      }
      const explicit = (given?.securityContext ?? {}) as { [k: string]: unknown };
      for (const field of SECURE_FIELDS) {
        const set = explicit[USER_FIELD[field]];
        if (set !== undefined) {
          if (JSON.stringify(c.securityContext?.[field]) !== JSON.stringify(set)) {
            throw new Error(`${t.where}: container ${c.name} renders ${field} ${JSON.stringify(c.securityContext?.[field])}, not the ${JSON.stringify(set)} the user set`);
          }
        } else if (!isSecure(field, c, t.spec)) {
          throw new Error(`${t.where}: container ${c.name} lacks the secure default for ${field}: ${JSON.stringify(c.securityContext)} (pod: ${JSON.stringify(t.spec.securityContext)})`);
        }
      }
      const chosen = given ? given.resources !== undefined : resourceOwners[c.name];
      if (chosen === undefined) {
        throw new Error(`${t.where}: unknown library container ${c.name}`);
      }
      if (!chosen && !hasRequestsAndLimits(c)) {
        throw new Error(`${t.where}: container ${c.name} lacks requests and limits: ${JSON.stringify(c.resources)}`);
      }
    }
  }
}

/**
 * Secrets: only `generateRootPassword` (`<name>-auth`, key `root-password`) and `generateJwtKey`
 * (`<name>-jwt`, key `jwt-key.pem`) put data into a Secret; when asked for, the Secret is there;
 * and its value appears nowhere else in the output.
 */
function checkSecrets(manifests: Manifest[], props: EtcdClusterProps, name: string): void {
  const allowed: { [secret: string]: string } = {};
  if (props.auth?.generateRootPassword) {
    allowed[`${name}-auth`] = 'root-password';
  }
  if (props.auth?.generateJwtKey) {
    allowed[`${name}-jwt`] = 'jwt-key.pem';
  }
  const values: string[] = [];
  const found = new Set<string>();
  for (const m of manifests.filter(x => x.kind === 'Secret')) {
    const keys = [...Object.keys(m.data ?? {}), ...Object.keys(m.stringData ?? {})];
    if (!keys.length) {
      continue;
    }
    const key = allowed[m.metadata.name];
    if (!key || keys.length !== 1 || keys[0] !== key) {
      throw new Error(`Secret/${m.metadata.name} holds ${keys.join(', ')}, which the user did not ask to generate`);
    }
    found.add(m.metadata.name);
    values.push(m.stringData?.[key] ?? Buffer.from(m.data[key], 'base64').toString());
  }
  for (const secretName of Object.keys(allowed)) {
    if (!found.has(secretName)) {
      throw new Error(`Secret/${secretName} was asked for but not synthesized`);
    }
  }
  for (const m of manifests.filter(x => x.kind !== 'Secret')) {
    const text = JSON.stringify(m);
    for (const v of values) {
      if (text.includes(JSON.stringify(v).slice(1, -1))) {
        throw new Error(`${m.kind}/${m.metadata.name} contains a generated secret value`);
      }
    }
  }
}

/**
 * The member selector (of the StatefulSet, the Services, the PodDisruptionBudget, the
 * NetworkPolicy) selects the members only: no Job or CronJob pod carries all its labels.
 */
function checkSelectorExclusive(manifests: Manifest[]): void {
  const sts = manifests.find(m => m.kind === 'StatefulSet');
  const selector: { [k: string]: string } = sts.spec.selector.matchLabels;
  for (const t of podTemplates(manifests).filter(x => x.where !== `StatefulSet/${sts.metadata.name}`)) {
    if (Object.entries(selector).every(([k, v]) => t.labels[k] === v)) {
      throw new Error(`${t.where}: its pods carry the members' selector labels ${JSON.stringify(selector)}, so the Services and the budget select them`);
    }
  }
}

function checkManifests(manifests: Manifest[], props: EtcdClusterProps, cluster: EtcdCluster, chart: Chart): void {
  for (const m of manifests) {
    validateManifest(m);
  }
  checkNames(manifests, chart.namespace);
  checkSecurity(manifests, props);
  checkSecrets(manifests, props, cluster.name);
  checkSelectorExclusive(manifests);
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

const outcomes = new Map<string, number>();

function count(outcome: string): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

/** Runs one case: a validation error or a valid synthesis, anything else throws. */
function runCase(c: Case): void {
  let result: { manifests: Manifest[]; props: EtcdClusterProps; cluster: EtcdCluster; chart: Chart };
  try {
    const { chart, props, applyCalls } = materialize(c);
    const cluster = new EtcdCluster(chart, 'etcd', props as EtcdClusterProps);
    applyCalls(cluster);
    result = { manifests: Testing.synth(chart), props: props as EtcdClusterProps, cluster, chart };
  } catch (e) {
    count(`invalid: ${checkValidationError(e)}`);
    return;
  }
  checkManifests(result.manifests, result.props, result.cluster, result.chart);
  count('synthesized');
}

describe('the invariants catch what they are meant to', () => {
  const synth = (props: EtcdClusterProps = {}) => {
    const { chart, props: built, applyCalls } = materialize({ namespace: 'etcd', props: { name: 'etcd', ...props } });
    const cluster = new EtcdCluster(chart, 'etcd', built as EtcdClusterProps);
    applyCalls(cluster);
    return { chart, cluster, props: built as EtcdClusterProps, manifests: Testing.synth(chart) };
  };
  const check = (s: ReturnType<typeof synth>) => checkManifests(s.manifests, s.props, s.cluster, s.chart);
  const members = (s: ReturnType<typeof synth>) => s.manifests.find(m => m.kind === 'StatefulSet').spec.template.spec;

  test('a default cluster passes', () => {
    expect(() => check(synth())).not.toThrow();
  });

  test('a weakened library container fails', () => {
    const s = synth();
    members(s).containers[0].securityContext.readOnlyRootFilesystem = false;
    expect(() => check(s)).toThrow(/container etcd lacks the secure default for readOnlyRootFilesystem/);
    const r = synth();
    delete members(r).initContainers[0].resources;
    expect(() => check(r)).toThrow(/container tools lacks requests and limits/);
  });

  test('a user container may opt out of exactly what it sets', () => {
    const sidecar = { name: 'debug', image: 'x', securityContext: { readOnlyRootFilesystem: false }, resources: {} };
    const s = synth({ sidecars: [sidecar] });
    expect(() => check(s)).not.toThrow();
    members(s).containers[1].securityContext.allowPrivilegeEscalation = true;
    expect(() => check(s)).toThrow(/container debug lacks the secure default for allowPrivilegeEscalation/);
  });

  test('a Secret nobody asked for, a shared name, a bad Service name, a shared selector fail', () => {
    const secret = synth();
    secret.manifests.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'etcd-auth' }, stringData: { 'root-password': 'x' } });
    expect(() => check(secret)).toThrow(/Secret\/etcd-auth holds root-password, which the user did not ask to generate/);
    const twice = synth();
    twice.manifests.push(twice.manifests.find(m => m.kind === 'ConfigMap'));
    expect(() => check(twice)).toThrow(/two ConfigMap objects named "etcd-runtime"/);
    const service = synth();
    service.manifests.find(m => m.kind === 'Service').metadata.name = '9etcd';
    expect(() => check(service)).toThrow(/Service name "9etcd" is not a DNS-1035 label/);
    const selected = synth({ defrag: {} });
    selected.manifests.find(m => m.kind === 'CronJob').spec.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/component'] = 'etcd';
    expect(() => check(selected)).toThrow(/CronJob\/etcd-defrag: its pods carry the members' selector labels/);
  });
});

describe('property: any props either fail validation or synthesize valid, secure objects', () => {
  test(`${RUNS} generated cases (seed ${SEED})`, () => {
    // eslint-disable-next-line no-console
    console.log(`property.test: seed ${SEED}, ${RUNS} runs${PATH ? `, path ${PATH}` : ''} (PROPERTY_SEED / PROPERTY_RUNS / PROPERTY_PATH)`);
    const started = Date.now();
    const details = fc.check(fc.property(caseArb(), runCase), { seed: SEED, numRuns: RUNS, path: PATH });
    const summary = [...outcomes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `  ${v} ${k}`).join('\n');
    // eslint-disable-next-line no-console
    console.log(`property.test: ${details.numRuns} runs in ${Date.now() - started} ms; outcomes (incl. shrinking):\n${summary}`);
    if (details.failed) {
      const counterexample = details.counterexample![0] as Case;
      const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error([
        `property failed after ${details.numRuns} runs and ${details.numShrinks} shrinks.`,
        `Reproduce: PROPERTY_SEED=${details.seed} PROPERTY_PATH=${details.counterexamplePath} npx jest test/property.test.ts`,
        '',
        'Counterexample:',
        printCase(counterexample),
        '',
        `Error: ${error}`,
      ].join('\n'));
    }
  }, Math.max(120_000, RUNS * 300));
});
