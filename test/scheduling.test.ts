import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EtcdCluster } from '../src';
import { validateAll } from './schema';
import { Manifest, memberPod, synthCluster } from './util';
import { AffinityPreset, EtcdSchedulingOptions, TolerationOperator, WhenUnsatisfiable } from '../src/scheduling';

const MEMBERS = {
  'app.kubernetes.io/name': 'etcd',
  'app.kubernetes.io/instance': 'etcd',
  'app.kubernetes.io/component': 'etcd',
};

/** The pod's scheduling fields, for snapshots and assertions. */
function placement(manifests: Manifest[]) {
  const pod = memberPod(manifests);
  return {
    affinity: pod.affinity,
    nodeSelector: pod.nodeSelector,
    tolerations: pod.tolerations,
    topologySpreadConstraints: pod.topologySpreadConstraints,
  };
}

function synthScheduling(scheduling: EtcdSchedulingOptions) {
  const { manifests, cluster } = synthCluster({ scheduling });
  validateAll(manifests);
  return { manifests, cluster, placement: placement(manifests) };
}

function expectInvalid(scheduling: EtcdSchedulingOptions, message: RegExp) {
  expect(() => synthCluster({ scheduling })).toThrow(message);
}

describe('scheduling presets', () => {
  test('default: soft anti-affinity between the members on the hostname, nothing else', () => {
    const { placement: p, cluster } = synthScheduling({});
    expect(p).toMatchSnapshot();
    expect(p.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 1,
          podAffinityTerm: { labelSelector: { matchLabels: MEMBERS }, topologyKey: 'kubernetes.io/hostname' },
        }],
      },
    });
    expect(p.nodeSelector).toBeUndefined();
    expect(p.tolerations).toBeUndefined();
    expect(p.topologySpreadConstraints).toBeUndefined();
    expect(cluster.scheduling.podAntiAffinity).toBe(AffinityPreset.SOFT);
    expect(cluster.scheduling.podAffinity).toBe(AffinityPreset.NONE);
    expect(cluster.scheduling.customAffinity).toBe(false);
  });

  test('the selector matches only this cluster\'s members', () => {
    const { manifests } = synthScheduling({});
    const sts = manifests.find((m: Manifest) => m.kind === 'StatefulSet' && m.metadata.name === 'etcd');
    const term = placement(manifests).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term.labelSelector.matchLabels).toEqual(sts.spec.selector.matchLabels);
    // Another cluster in the same chart is not matched.
    const chart = new Chart(Testing.app(), 'two', { namespace: 'etcd' });
    new EtcdCluster(chart, 'a', { name: 'etcd-a' });
    new EtcdCluster(chart, 'b', { name: 'etcd-b' });
    const two = Testing.synth(chart);
    const terms = two.filter((m: Manifest) => m.kind === 'StatefulSet').map((m: Manifest) =>
      m.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels['app.kubernetes.io/instance']);
    expect(terms).toEqual(['etcd-a', 'etcd-b']);
  });

  test('hard anti-affinity: one member per node', () => {
    const { placement: p } = synthScheduling({ podAntiAffinity: AffinityPreset.HARD });
    expect(p).toMatchSnapshot();
    expect(p.affinity).toEqual({
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: MEMBERS }, topologyKey: 'kubernetes.io/hostname' }],
      },
    });
  });

  test('no anti-affinity: no affinity at all', () => {
    const { placement: p } = synthScheduling({ podAntiAffinity: AffinityPreset.NONE });
    expect(p.affinity).toBeUndefined();
  });

  test.each([
    [AffinityPreset.SOFT, { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { labelSelector: { matchLabels: MEMBERS }, topologyKey: 'kubernetes.io/hostname' } }] }],
    [AffinityPreset.HARD, { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: MEMBERS }, topologyKey: 'kubernetes.io/hostname' }] }],
  ])('pod affinity preset %s', (preset, expected) => {
    const { placement: p } = synthScheduling({ podAffinity: preset, podAntiAffinity: AffinityPreset.NONE });
    expect(p.affinity).toEqual({ podAffinity: expected });
  });

  test('soft node affinity preset: weight 1, label In values, next to the anti-affinity', () => {
    const { placement: p } = synthScheduling({ nodeAffinity: { type: AffinityPreset.SOFT, key: 'node-role.kubernetes.io/etcd', values: ['true'] } });
    expect(p).toMatchSnapshot();
    expect(p.affinity.nodeAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 1,
        preference: { matchExpressions: [{ key: 'node-role.kubernetes.io/etcd', operator: 'In', values: ['true'] }] },
      }],
    });
    expect(p.affinity.podAntiAffinity).toBeDefined();
  });

  test('hard node affinity preset: a required node selector term', () => {
    const { placement: p } = synthScheduling({ nodeAffinity: { type: AffinityPreset.HARD, key: 'topology.kubernetes.io/zone', values: ['a', 'b', 'c'] } });
    expect(p.affinity.nodeAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a', 'b', 'c'] }] }],
      },
    });
  });

  test('node affinity preset NONE renders nothing', () => {
    const { placement: p } = synthScheduling({ nodeAffinity: { type: AffinityPreset.NONE } });
    expect(p.affinity.nodeAffinity).toBeUndefined();
  });
});

describe('custom affinity', () => {
  test('replaces the presets: typed node, pod affinity and anti-affinity terms', () => {
    const chart = new Chart(Testing.app(), 'selectors');
    const cache = kplus.Pods.select(chart, 'cache', {
      labels: { app: 'cache' },
      namespaces: kplus.Namespaces.select(chart, 'cache-ns', { names: ['cache'] }),
    });
    const noisy = kplus.Pods.select(chart, 'noisy', {
      expressions: [kplus.LabelExpression.in('tier', ['batch'])],
      namespaces: kplus.Namespaces.select(chart, 'batch-ns', { labels: { workload: 'batch' } }),
    });
    const { placement: p, cluster } = synthScheduling({
      affinity: {
        nodeAffinity: [
          { matches: [kplus.NodeLabelQuery.in('node-role.kubernetes.io/etcd', ['true']), kplus.NodeLabelQuery.exists('ssd')] },
          { matches: [kplus.NodeLabelQuery.is('topology.kubernetes.io/zone', 'a')], weight: 50 },
        ],
        podAffinity: [{ pods: cache, topology: kplus.Topology.ZONE, weight: 10 }],
        podAntiAffinity: [
          {},
          { topology: kplus.Topology.ZONE, weight: 100 },
          { pods: noisy },
        ],
      },
    });
    expect(p).toMatchSnapshot();
    expect(cluster.scheduling.customAffinity).toBe(true);
    expect(cluster.scheduling.podAntiAffinity).toBe(AffinityPreset.NONE);
    expect(p.affinity.nodeAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{
          matchExpressions: [
            { key: 'node-role.kubernetes.io/etcd', operator: 'In', values: ['true'] },
            { key: 'ssd', operator: 'Exists' },
          ],
        }],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 50,
        preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a'] }] },
      }],
    });
    expect(p.affinity.podAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 10,
        podAffinityTerm: { labelSelector: { matchLabels: { app: 'cache' } }, namespaces: ['cache'], topologyKey: 'topology.kubernetes.io/zone' },
      }],
    });
    expect(p.affinity.podAntiAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: MEMBERS }, topologyKey: 'kubernetes.io/hostname' },
        {
          labelSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch'] }] },
          namespaceSelector: { matchLabels: { workload: 'batch' } },
          topologyKey: 'kubernetes.io/hostname',
        },
      ],
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { labelSelector: { matchLabels: MEMBERS }, topologyKey: 'topology.kubernetes.io/zone' },
      }],
    });
  });

  test('an empty custom affinity renders no affinity (the presets are off)', () => {
    const { placement: p } = synthScheduling({ affinity: {} });
    expect(p.affinity).toBeUndefined();
  });

  test('a workload in the same chart is selected by its address label in the cluster\'s namespace', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'etcd' });
    const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'web:1' }] });
    const cluster = new EtcdCluster(chart, 'etcd', { name: 'etcd', scheduling: { affinity: { podAffinity: [{ pods: web, weight: 5 }] } } });
    void cluster;
    const manifests = Testing.synth(chart);
    const term = placement(manifests).affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term).toEqual({ labelSelector: { matchLabels: { 'cdk8s.io/metadata.addr': expect.any(String) } }, topologyKey: 'kubernetes.io/hostname' });
    validateAll(manifests);
  });
});

describe('topology spread, node selector, tolerations', () => {
  test('spread across zones: maxSkew 1, DoNotSchedule, over the members', () => {
    const { placement: p } = synthScheduling({ topologySpread: [{}] });
    expect(p.topologySpreadConstraints).toEqual([{
      topologyKey: 'topology.kubernetes.io/zone',
      maxSkew: 1,
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: MEMBERS },
    }]);
  });

  test('several constraints with their own keys, skews and policies', () => {
    const { placement: p } = synthScheduling({
      topologySpread: [
        { topology: kplus.Topology.ZONE, maxSkew: 1, minDomains: 3 },
        { topology: kplus.Topology.HOSTNAME, maxSkew: 2, whenUnsatisfiable: WhenUnsatisfiable.SCHEDULE_ANYWAY },
      ],
    });
    expect(p).toMatchSnapshot();
    expect(p.topologySpreadConstraints).toEqual([
      { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, minDomains: 3, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: MEMBERS } },
      { topologyKey: 'kubernetes.io/hostname', maxSkew: 2, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: MEMBERS } },
    ]);
  });

  test('node selector and tolerations', () => {
    const { placement: p } = synthScheduling({
      nodeSelector: { 'node-role.kubernetes.io/etcd': '', 'kubernetes.io/arch': 'amd64' },
      tolerations: [
        { key: 'node-role.kubernetes.io/etcd', operator: TolerationOperator.EXISTS, effect: kplus.TaintEffect.NO_SCHEDULE },
        { key: 'dedicated', value: 'etcd' },
        { key: 'node.kubernetes.io/unreachable', operator: TolerationOperator.EXISTS, effect: kplus.TaintEffect.NO_EXECUTE, evictAfter: Duration.minutes(5) },
        { operator: TolerationOperator.EXISTS, effect: kplus.TaintEffect.PREFER_NO_SCHEDULE },
      ],
    });
    expect(p).toMatchSnapshot();
    expect(p.nodeSelector).toEqual({ 'node-role.kubernetes.io/etcd': '', 'kubernetes.io/arch': 'amd64' });
    expect(p.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/etcd', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'etcd' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { operator: 'Exists', effect: 'PreferNoSchedule' },
    ]);
  });

  test('everything together is schema-valid', () => {
    synthScheduling({
      podAntiAffinity: AffinityPreset.HARD,
      nodeAffinity: { type: AffinityPreset.HARD, key: 'topology.kubernetes.io/zone', values: ['a'] },
      topologySpread: [{ maxSkew: 1 }],
      nodeSelector: { disk: 'ssd' },
      tolerations: [{ key: 'dedicated', value: 'etcd', effect: kplus.TaintEffect.NO_SCHEDULE }],
    });
  });
});

describe('scheduling validation', () => {
  test('every message names the prop under the cluster\'s path', () => {
    expect(() => synthCluster({ scheduling: { topologySpread: [{ maxSkew: 0 }] } }))
      .toThrow(/^\[cdk8s-etcd\] test\/etcd: `scheduling\.topologySpread\[0\]\.maxSkew` must be a whole number of at least 1/);
  });

  test('a node affinity preset needs a key', () => {
    expectInvalid({ nodeAffinity: { type: AffinityPreset.HARD, values: ['a'] } }, /`scheduling\.nodeAffinity\.key` must be a node label key .* with type HARD/);
  });

  test('a node affinity preset needs a valid key', () => {
    expectInvalid({ nodeAffinity: { type: AffinityPreset.SOFT, key: 'not a key', values: ['a'] } }, /`scheduling\.nodeAffinity\.key` must be a node label key/);
  });

  test('a node affinity preset needs values', () => {
    expectInvalid({ nodeAffinity: { type: AffinityPreset.SOFT, key: 'zone', values: [] } }, /`scheduling\.nodeAffinity\.values` must list at least one value of label "zone"/);
    expectInvalid({ nodeAffinity: { type: AffinityPreset.SOFT, key: 'zone' } }, /`scheduling\.nodeAffinity\.values` must list at least one value/);
  });

  test('node affinity values must be label values', () => {
    expectInvalid({ nodeAffinity: { type: AffinityPreset.SOFT, key: 'zone', values: ['a b'] } }, /`scheduling\.nodeAffinity\.values` has "a b", which is not a label value/);
  });

  test('an unknown node affinity preset type is refused', () => {
    expectInvalid({ nodeAffinity: { type: 'always' as AffinityPreset, key: 'zone', values: ['a'] } }, /`scheduling\.nodeAffinity\.type` must be AffinityPreset\.SOFT, HARD or NONE/);
  });

  test('a NONE node affinity preset takes no key or values', () => {
    expectInvalid({ nodeAffinity: { type: AffinityPreset.NONE, key: 'zone', values: ['a'] } }, /`scheduling\.nodeAffinity\.key` and `values` have no effect with type NONE/);
  });

  test.each(['podAntiAffinity', 'podAffinity', 'nodeAffinity'] as const)('a custom affinity and the %s preset are exclusive', preset => {
    const presets: EtcdSchedulingOptions = {
      podAntiAffinity: AffinityPreset.SOFT,
      podAffinity: AffinityPreset.SOFT,
      nodeAffinity: { type: AffinityPreset.SOFT, key: 'zone', values: ['a'] },
    };
    expectInvalid({ affinity: {}, [preset]: presets[preset] }, new RegExp(`\`scheduling\\.${preset}\` is a preset, and \`scheduling\\.affinity\` replaces the presets`));
  });

  test('hard pod affinity and hard anti-affinity contradict each other', () => {
    const both = { podAffinity: AffinityPreset.HARD, podAntiAffinity: AffinityPreset.HARD };
    expectInvalid(both, /`scheduling\.podAffinity` HARD and `scheduling\.podAntiAffinity` HARD .* cannot both hold/);
    // One member satisfies both.
    expect(synthCluster({ replicas: 1, scheduling: both }).manifests.length).toBeGreaterThan(0);
  });

  test('an unknown preset value is refused', () => {
    expectInvalid({ podAntiAffinity: 'sometimes' as AffinityPreset }, /`scheduling\.podAntiAffinity` must be AffinityPreset\.SOFT, HARD or NONE/);
  });

  test.each([0, -1, 1.5, Number.NaN])('topology spread maxSkew %p is refused', maxSkew => {
    expectInvalid({ topologySpread: [{ maxSkew }] }, /`scheduling\.topologySpread\[0\]\.maxSkew` must be a whole number of at least 1/);
  });

  test.each([0, 2.5])('topology spread minDomains %p is refused', minDomains => {
    expectInvalid({ topologySpread: [{ minDomains }] }, /`scheduling\.topologySpread\[0\]\.minDomains` must be a whole number of at least 1/);
  });

  test('minDomains needs DoNotSchedule', () => {
    expectInvalid({ topologySpread: [{ minDomains: 3, whenUnsatisfiable: WhenUnsatisfiable.SCHEDULE_ANYWAY }] },
      /`scheduling\.topologySpread\[0\]\.minDomains` only applies with `whenUnsatisfiable` DO_NOT_SCHEDULE/);
  });

  test('a topology and policy pair may appear once', () => {
    expectInvalid({ topologySpread: [{}, { maxSkew: 2 }] }, /`scheduling\.topologySpread\[1\]` repeats topology "topology\.kubernetes\.io\/zone" with DoNotSchedule/);
  });

  test('a topology must be a label key', () => {
    expectInvalid({ topologySpread: [{ topology: kplus.Topology.custom('no spaces please') }] }, /`scheduling\.topologySpread\[0\]\.topology` must be a node label key/);
  });

  test.each([0, 101, 2.5])('affinity weight %p is refused', weight => {
    expectInvalid({ affinity: { podAntiAffinity: [{ weight }] } }, /`scheduling\.affinity\.podAntiAffinity\[0\]\.weight` must be a whole number from 1 to 100/);
    expectInvalid({ affinity: { nodeAffinity: [{ matches: [kplus.NodeLabelQuery.exists('ssd')], weight }] } },
      /`scheduling\.affinity\.nodeAffinity\[0\]\.weight` must be a whole number from 1 to 100/);
  });

  test('custom affinity keys must be label keys', () => {
    expectInvalid({ affinity: { nodeAffinity: [{ matches: [kplus.NodeLabelQuery.exists('a b')] }] } },
      /`scheduling\.affinity\.nodeAffinity\[0\]\.matches` has "a b", which is not a node label key/);
    expectInvalid({ affinity: { podAntiAffinity: [{ topology: kplus.Topology.custom('/zone') }] } },
      /`scheduling\.affinity\.podAntiAffinity\[0\]\.topology` must be a node label key/);
  });

  test('an unknown whenUnsatisfiable is refused', () => {
    expectInvalid({ topologySpread: [{ whenUnsatisfiable: 'Maybe' as WhenUnsatisfiable }] },
      /`scheduling\.topologySpread\[0\]\.whenUnsatisfiable` must be WhenUnsatisfiable\.DO_NOT_SCHEDULE or SCHEDULE_ANYWAY/);
  });

  test('a node affinity term needs queries', () => {
    expectInvalid({ affinity: { nodeAffinity: [{ matches: [] }] } }, /`scheduling\.affinity\.nodeAffinity\[0\]\.matches` must have at least one NodeLabelQuery/);
  });

  test('a pod affinity term for a workload of another chart without a namespace is refused', () => {
    const other = new Chart(Testing.app(), 'apps');
    const web = new kplus.Deployment(other, 'web', { containers: [{ image: 'web:1' }] });
    expectInvalid({ affinity: { podAffinity: [{ pods: web }] } },
      /`scheduling\.affinity\.podAffinity\[0\]\.pods` got Deployment "apps\/web" of chart "apps", which has no namespace/);
  });

  test('a pod affinity term cannot select namespaces by name and by labels', () => {
    const chart = new Chart(Testing.app(), 'selectors');
    const pods = kplus.Pods.select(chart, 'p', { labels: { app: 'x' }, namespaces: kplus.Namespaces.select(chart, 'n', { names: ['a'], labels: { team: 'x' } }) });
    expectInvalid({ affinity: { podAffinity: [{ pods }] } }, /`scheduling\.affinity\.podAffinity\[0\]\.pods` selects namespaces both by name and by labels/);
  });

  test.each([
    [{ 'bad key!': 'x' }, /`scheduling\.nodeSelector` has "bad key!", which is not a label key/],
    [{ disk: 'not valid!' }, /`scheduling\.nodeSelector` has "disk": "not valid!", which is not a label value/],
    [{ [`${'a'.repeat(64)}`]: 'x' }, /`scheduling\.nodeSelector` has "a{64}", which is not a label key/],
  ])('node selector %p is refused', (nodeSelector, message) => {
    expectInvalid({ nodeSelector }, message);
  });

  test('a toleration with EXISTS takes no value', () => {
    expectInvalid({ tolerations: [{ key: 'dedicated', operator: TolerationOperator.EXISTS, value: 'etcd' }] },
      /`scheduling\.tolerations\[0\]\.value` must be left out with operator EXISTS/);
  });

  test('a toleration without a key needs EXISTS', () => {
    expectInvalid({ tolerations: [{ value: 'etcd' }] }, /`scheduling\.tolerations\[0\]\.operator` must be EXISTS when the toleration has no `key`/);
  });

  test('evictAfter needs the NO_EXECUTE effect', () => {
    const toleration = { key: 'k', operator: TolerationOperator.EXISTS, evictAfter: Duration.minutes(1) };
    expectInvalid({ tolerations: [{ ...toleration, effect: kplus.TaintEffect.NO_SCHEDULE }] },
      /`scheduling\.tolerations\[0\]\.evictAfter` only applies with effect NO_EXECUTE \(got NoSchedule\)/);
    expectInvalid({ tolerations: [toleration] },
      /`scheduling\.tolerations\[0\]\.evictAfter` only applies with effect NO_EXECUTE \(got every effect\)/);
  });

  test('evictAfter must be whole seconds', () => {
    expectInvalid({ tolerations: [{ key: 'k', effect: kplus.TaintEffect.NO_EXECUTE, evictAfter: Duration.millis(1500) }] },
      /`scheduling\.tolerations\[0\]\.evictAfter` must be a whole number of seconds/);
  });

  test('an unknown toleration operator or effect is refused', () => {
    expectInvalid({ tolerations: [{ key: 'k', operator: 'Gt' as TolerationOperator }] }, /`scheduling\.tolerations\[0\]\.operator` must be TolerationOperator\.EQUAL or EXISTS/);
    expectInvalid({ tolerations: [{ key: 'k', effect: 'Evict' as kplus.TaintEffect }] }, /`scheduling\.tolerations\[0\]\.effect` must be TaintEffect\.NO_SCHEDULE/);
  });

  test('a toleration value must be a label value', () => {
    expectInvalid({ tolerations: [{ key: 'dedicated', value: 'etcd only' }] }, /`scheduling\.tolerations\[0\]\.value` must be a label value/);
  });

  test('a toleration key must be a label key', () => {
    expectInvalid({ tolerations: [{ key: 'a/b/c' }] }, /`scheduling\.tolerations\[0\]\.key` must be a taint key/);
  });
});
