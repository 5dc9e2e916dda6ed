import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EtcdCluster, EtcdClusterProps, ScrapePort } from '../src';
import {
  Connection, Endpoint, NamespaceInfo, NetworkPolicyEvaluator, PodEndpoint, external, matchesSelector, node, pod,
} from './netpol-eval';
import { validateAll } from './schema';
import { Manifest, container, find, findAll, memberPod, synthCluster } from './util';
import { EtcdNetworkPolicyOptions, NetworkPeer } from '../src/network-policy';

// ---------------------------------------------------------------------------------------------
// The evaluator itself, on hand-made policies.
// ---------------------------------------------------------------------------------------------

describe('netpol-eval', () => {
  const namespaces: NamespaceInfo[] = [
    { name: 'db', labels: { team: 'data' } },
    { name: 'apps', labels: { team: 'web' } },
    { name: 'other' },
  ];
  const web = [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' as const }];
  const dbPod = pod('db', 'db-0', '10.0.0.1', { app: 'db', tier: 'data' }, web);
  const dbPeer = pod('db', 'db-1', '10.0.0.2', { app: 'db', tier: 'data' }, web);
  const dbOther = pod('db', 'tool', '10.0.0.3', { app: 'tool' });
  const appPod = pod('apps', 'api', '10.0.1.1', { app: 'api' });
  const appOther = pod('apps', 'worker', '10.0.1.2', { app: 'worker' });
  const otherNsApi = pod('other', 'api', '10.0.2.1', { app: 'api' });
  const outside = external('203.0.113.7');

  function policy(namespace: string, spec: Manifest): Manifest {
    return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace }, spec };
  }
  function evaluator(...policies: Manifest[]) {
    return new NetworkPolicyEvaluator(policies, namespaces);
  }
  function allows(ev: NetworkPolicyEvaluator, from: Endpoint, to: Endpoint, port = 8080, protocol?: 'TCP' | 'UDP'): boolean {
    return ev.allows({ from, to, port, protocol });
  }

  test('without policies everything is allowed; other kinds are ignored', () => {
    const ev = new NetworkPolicyEvaluator([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: {} }], namespaces);
    expect(allows(ev, outside, dbPod)).toBe(true);
    expect(allows(ev, dbPod, outside, 443)).toBe(true);
  });

  test('a deny-all ingress policy isolates the selected pods only, and only for ingress', () => {
    const ev = evaluator(policy('db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] }));
    expect(allows(ev, appPod, dbPod)).toBe(false);
    expect(allows(ev, dbPeer, dbPod)).toBe(false);
    expect(allows(ev, appPod, dbOther)).toBe(true);
    expect(allows(ev, dbPod, appPod)).toBe(true);
    expect(allows(ev, dbPod, outside, 443)).toBe(true);
  });

  test('policyTypes default: Ingress always, Egress with an egress section', () => {
    const ingressOnly = evaluator(policy('db', { podSelector: {} }));
    expect(allows(ingressOnly, appPod, dbPod)).toBe(false);
    expect(allows(ingressOnly, dbPod, outside, 443)).toBe(true);
    const both = evaluator(policy('db', { podSelector: {}, egress: [] }));
    expect(allows(both, dbPod, outside, 443)).toBe(false);
    expect(both.egressAllowed({ from: appPod, to: dbPod, port: 1 })).toBe(true);
  });

  test('a policy only selects pods of its own namespace', () => {
    const ev = evaluator(policy('apps', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'] }));
    expect(allows(ev, dbPod, appPod)).toBe(false);
    expect(allows(ev, dbPod, otherNsApi)).toBe(true);
  });

  test('an empty or missing from allows every source; missing ingress denies all', () => {
    expect(allows(evaluator(policy('db', { podSelector: {}, ingress: [{}] })), outside, dbPod)).toBe(true);
    expect(allows(evaluator(policy('db', { podSelector: {}, ingress: [{ from: [] }] })), outside, dbPod)).toBe(true);
    expect(allows(evaluator(policy('db', { podSelector: {}, policyTypes: ['Ingress'] })), dbPeer, dbPod)).toBe(false);
  });

  test('a podSelector alone picks pods in the policy\'s namespace', () => {
    const ev = evaluator(policy('db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }));
    expect(allows(ev, appPod, dbPod)).toBe(false);
    const sameNs = pod('db', 'api', '10.0.0.9', { app: 'api' });
    expect(allows(ev, sameNs, dbPod)).toBe(true);
    const all = evaluator(policy('db', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }));
    expect(allows(all, dbOther, dbPod)).toBe(true);
    expect(allows(all, appPod, dbPod)).toBe(false);
  });

  test('namespaceSelector and podSelector in one peer are AND; in two peers OR', () => {
    const and = evaluator(policy('db', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } }, podSelector: { matchLabels: { app: 'api' } } }] }],
    }));
    expect(allows(and, appPod, dbPod)).toBe(true);
    expect(allows(and, appOther, dbPod)).toBe(false);
    expect(allows(and, otherNsApi, dbPod)).toBe(false);
    const or = evaluator(policy('db', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }, { podSelector: { matchLabels: { app: 'tool' } } }] }],
    }));
    expect(allows(or, appOther, dbPod)).toBe(true);
    expect(allows(or, dbOther, dbPod)).toBe(true);
    expect(allows(or, otherNsApi, dbPod)).toBe(false);
  });

  test('an empty namespaceSelector picks every namespace; namespaces are matched by their name label', () => {
    const any = evaluator(policy('db', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }));
    expect(allows(any, otherNsApi, dbPod)).toBe(true);
    expect(allows(any, outside, dbPod)).toBe(false);
    const byName = evaluator(policy('db', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }] }],
    }));
    expect(allows(byName, otherNsApi, dbPod)).toBe(true);
    expect(allows(byName, appPod, dbPod)).toBe(false);
  });

  test('matchExpressions: In, NotIn, Exists, DoesNotExist', () => {
    const labels = { app: 'api', tier: 'web' };
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'x'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(matchesSelector({ matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, labels)).toBe(false);
    expect(matchesSelector({}, labels)).toBe(true);
    expect(() => matchesSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }, labels)).toThrow(/In needs values/);
  });

  test('ipBlock: in the range and not in an except; pods are matched by address too', () => {
    const ev = evaluator(policy('db', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.0/29'] } }] }],
    }));
    expect(allows(ev, outside, dbPod)).toBe(false);
    expect(allows(ev, external('203.0.113.8'), dbPod)).toBe(true);
    expect(allows(ev, external('198.51.100.1'), dbPod)).toBe(false);
    expect(allows(ev, appPod, dbPod)).toBe(false);
  });

  test('ports: protocol defaults to TCP, numbers, ranges, named ports of the destination pod', () => {
    const ev = evaluator(policy('db', {
      podSelector: {},
      ingress: [{ ports: [{ port: 2379 }, { port: 3000, endPort: 3005 }, { port: 'http' }, { port: 'dns', protocol: 'UDP' }, { protocol: 'SCTP' }] }],
    }));
    expect(allows(ev, appPod, dbPod, 2379)).toBe(true);
    expect(allows(ev, appPod, dbPod, 2379, 'UDP')).toBe(false);
    expect(allows(ev, appPod, dbPod, 3004)).toBe(true);
    expect(allows(ev, appPod, dbPod, 3006)).toBe(false);
    expect(allows(ev, appPod, dbPod, 8080)).toBe(true); // "http" is 8080 on the db pods
    expect(allows(ev, appPod, dbOther, 8080)).toBe(false); // ... but not on a pod without that port name
    expect(allows(ev, appPod, dbPod, 53, 'UDP')).toBe(true);
    expect(allows(ev, appPod, dbPod, 53)).toBe(false);
    expect(ev.allows({ from: appPod, to: dbPod, port: 9, protocol: 'SCTP' })).toBe(true);
    expect(allows(ev, appPod, dbPod, 22)).toBe(false);
  });

  test('rules and policies add up', () => {
    const a = policy('db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'tool' } } }], ports: [{ port: 22 }] }] });
    const b = { ...policy('db', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }], ports: [{ port: 8080 }] }] }), metadata: { name: 'b', namespace: 'db' } };
    const ev = evaluator(a, b);
    expect(allows(ev, dbOther, dbPod, 22)).toBe(true);
    expect(allows(ev, appPod, dbPod, 8080)).toBe(true);
    expect(allows(ev, appPod, dbPod, 22)).toBe(false);
    expect(allows(ev, dbOther, dbPod, 8080)).toBe(false);
  });

  test('egress: to peers and ports, named ports resolved on the destination', () => {
    const ev = evaluator(policy('db', {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'http' }] }, { ports: [{ port: 53, protocol: 'UDP' }] }],
    }));
    expect(allows(ev, dbPod, dbPeer, 8080)).toBe(true);
    expect(allows(ev, dbPod, dbPeer, 9090)).toBe(false);
    expect(allows(ev, dbPod, outside, 53, 'UDP')).toBe(true);
    expect(allows(ev, dbPod, outside, 443)).toBe(false);
    expect(allows(ev, dbOther, outside, 443)).toBe(true);
  });

  test('a connection needs the source\'s egress and the destination\'s ingress', () => {
    const ev = evaluator(
      policy('apps', { podSelector: {}, policyTypes: ['Egress'] }),
      { ...policy('db', { podSelector: {}, ingress: [{}] }), metadata: { name: 'open', namespace: 'db' } },
    );
    expect(allows(ev, appPod, dbPod)).toBe(false);
    expect(allows(ev, dbOther, dbPod)).toBe(true);
  });

  test('traffic between a pod and its own node is always allowed', () => {
    const kubelet = node('node-a', '192.168.0.1', [dbPod]);
    const ev = evaluator(policy('db', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    expect(allows(ev, kubelet, dbPod, 2381)).toBe(true);
    expect(allows(ev, kubelet, dbPeer, 2381)).toBe(false);
    expect(allows(ev, dbPod, kubelet, 10250)).toBe(true);
  });

  test('malformed peers and ports are errors, not silent matches', () => {
    const bad = evaluator(policy('db', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }));
    expect(() => allows(bad, appPod, dbPod)).toThrow(/ipBlock cannot be combined/);
    const empty = evaluator(policy('db', { podSelector: {}, ingress: [{ from: [{}] }] }));
    expect(() => allows(empty, appPod, dbPod)).toThrow(/needs podSelector, namespaceSelector or ipBlock/);
    const range = evaluator(policy('db', { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 9000 }] }] }));
    expect(() => allows(range, appPod, dbPod)).toThrow(/endPort needs a numeric port/);
  });
});

// ---------------------------------------------------------------------------------------------
// The synthesized policies.
// ---------------------------------------------------------------------------------------------

/** Pods and namespaces around a cluster named `etcd` in namespace `etcd`, from the synthesized objects. */
function world<E extends { [name: string]: PodEndpoint }>(manifests: Manifest[], extraPods: E = {} as E) {
  const sts = find(manifests, 'StatefulSet', 'etcd');
  const ports = container(sts.spec.template.spec, 'etcd').ports;
  const members = [0, 1, 2].map(i => pod('etcd', `etcd-${i}`, `10.0.1.${i + 1}`, sts.spec.template.metadata.labels, ports));
  const job = findAll(manifests, 'Job').find((j: Manifest) => j.metadata.name.startsWith('etcd-reconcile-'));
  const namespaces: NamespaceInfo[] = [
    { name: 'etcd', labels: { team: 'platform' } },
    { name: 'apps', labels: { team: 'apps' } },
    { name: 'monitoring', labels: { purpose: 'monitoring' } },
    { name: 'kube-system' },
  ];
  const pods = {
    member0: members[0],
    member1: members[1],
    job: pod('etcd', 'etcd-reconcile-x', '10.0.1.10', job.spec.template.metadata.labels),
    sameNamespaceApp: pod('etcd', 'web', '10.0.1.20', { app: 'web' }),
    otherNamespaceApp: pod('apps', 'api', '10.0.2.1', { app: 'api' }),
    otherNamespaceWorker: pod('apps', 'worker', '10.0.2.2', { app: 'worker' }),
    scraper: pod('monitoring', 'prometheus-0', '10.0.3.1', { 'app.kubernetes.io/name': 'prometheus' }),
    dns: pod('kube-system', 'coredns', '10.0.4.1', { 'k8s-app': 'kube-dns' }, [
      { name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
    ]),
    ...extraPods,
  };
  const internet = external('93.184.216.34');
  const kubelet = node('node-a', '192.168.0.10', [members[0]]);
  const ev = new NetworkPolicyEvaluator(manifests, namespaces);
  const can = (from: Endpoint, to: Endpoint, port: number, protocol?: 'TCP' | 'UDP') => ev.allows({ from, to, port, protocol } as Connection);
  return { ev, pods, internet, kubelet, can };
}

const CLIENT = 2379;
const PEER = 2380;
const METRICS = 2381;

function synthPolicy(networkPolicy: EtcdNetworkPolicyOptions, props: EtcdClusterProps = {}) {
  const result = synthCluster({ ...props, networkPolicy });
  validateAll(result.manifests);
  return { ...result, policy: find(result.manifests, 'NetworkPolicy', 'etcd') };
}

function expectInvalid(networkPolicy: EtcdNetworkPolicyOptions, message: RegExp) {
  expect(() => synthCluster({ networkPolicy })).toThrow(message);
}

describe('default NetworkPolicy', () => {
  const { manifests, cluster, policy } = synthPolicy({});
  const { pods, internet, kubelet, can } = world(manifests);

  test('renders one policy for the members, schema-valid', () => {
    expect(policy).toMatchSnapshot();
    expect(policy.metadata.namespace).toBe('etcd');
    expect(policy.spec.podSelector).toEqual(find(manifests, 'StatefulSet', 'etcd').spec.selector);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(cluster.networkPolicy.enabled).toBe(true);
    expect(ApiObject.of(cluster.networkPolicy).kind).toBe('NetworkPolicy');
    expect(cluster.networkPolicy.policy).toBe(ApiObject.of(cluster.networkPolicy));
  });

  test('selects the members and nothing else of the cluster', () => {
    const { ev } = world(manifests);
    expect(ev.selecting('Ingress', pods.member0)).toHaveLength(1);
    expect(ev.selecting('Ingress', pods.job)).toHaveLength(0);
    expect(ev.selecting('Ingress', pods.sameNamespaceApp)).toHaveLength(0);
  });

  test('member → member on the peer and client ports', () => {
    expect(can(pods.member0, pods.member1, PEER)).toBe(true);
    expect(can(pods.member0, pods.member1, CLIENT)).toBe(true);
  });

  test('the peer port is open to the members only', () => {
    expect(can(pods.sameNamespaceApp, pods.member0, PEER)).toBe(false);
    expect(can(pods.job, pods.member0, PEER)).toBe(false);
    expect(can(pods.otherNamespaceApp, pods.member0, PEER)).toBe(false);
    expect(can(internet, pods.member0, PEER)).toBe(false);
  });

  test('client port: same namespace allowed, other namespaces and outside denied', () => {
    expect(can(pods.sameNamespaceApp, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.job, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.otherNamespaceApp, pods.member0, CLIENT)).toBe(false);
    expect(can(internet, pods.member0, CLIENT)).toBe(false);
  });

  test('metrics port: any pod (scrapers), not outside; probes from the node always', () => {
    expect(can(pods.scraper, pods.member0, METRICS)).toBe(true);
    expect(can(pods.otherNamespaceApp, pods.member0, METRICS)).toBe(true);
    expect(can(internet, pods.member0, METRICS)).toBe(false);
    expect(can(kubelet, pods.member0, METRICS)).toBe(true);
    expect(can(pods.scraper, pods.member0, CLIENT)).toBe(false);
  });

  test('other ports are closed', () => {
    expect(can(pods.sameNamespaceApp, pods.member0, 22)).toBe(false);
  });

  test('egress is open, as in the chart', () => {
    expect(policy.spec.egress).toEqual([{}]);
    expect(can(pods.member0, internet, 443)).toBe(true);
    expect(can(pods.member0, pods.dns, 53, 'UDP')).toBe(true);
  });
});

describe('NetworkPolicy shapes', () => {
  test('disabled: no NetworkPolicy', () => {
    const { manifests, cluster } = synthCluster({ networkPolicy: { enabled: false } });
    expect(findAll(manifests, 'NetworkPolicy')).toEqual([]);
    expect(cluster.networkPolicy.policy).toBeUndefined();
    expect(cluster.networkPolicy.enabled).toBe(false);
    // App wiring keeps working: there is nothing to open.
    cluster.networkPolicy.allowClientLabels({ app: 'api' }, { team: 'apps' });
    expect(findAll(Testing.synth(cluster.node.scope as Chart), 'NetworkPolicy')).toEqual([]);
  });

  test('allowExternal: the client port from anywhere, the peer port still members only', () => {
    const { manifests, policy, cluster } = synthPolicy({ allowExternal: true });
    expect(policy).toMatchSnapshot();
    const { pods, internet, can } = world(manifests);
    expect(can(pods.otherNamespaceApp, pods.member0, CLIENT)).toBe(true);
    expect(can(internet, pods.member0, CLIENT)).toBe(true);
    expect(can(internet, pods.member0, PEER)).toBe(false);
    expect(can(pods.sameNamespaceApp, pods.member0, PEER)).toBe(false);
    expect(cluster.networkPolicy.allowExternal).toBe(true);
    expect(cluster.networkPolicy.allowSameNamespace).toBe(true);
  });

  test('allowSameNamespace false: only the cluster\'s own pods and what is allowed', () => {
    const { manifests, policy, cluster } = synthPolicy({ allowSameNamespace: false, clientPeers: [NetworkPeer.labels({ app: 'web' })] });
    expect(policy).toMatchSnapshot();
    const { pods, can } = world(manifests, { stranger: pod('etcd', 'stranger', '10.0.1.30', { app: 'stranger' }) });
    expect(can(pods.member0, pods.member1, CLIENT)).toBe(true);
    expect(can(pods.job, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.sameNamespaceApp, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.stranger, pods.member0, CLIENT)).toBe(false);
    expect(can(pods.otherNamespaceApp, pods.member0, CLIENT)).toBe(false);
    expect(cluster.networkPolicy.allowSameNamespace).toBe(false);
  });

  test('clientNamespaceLabels (+ pod labels): the chart\'s ingressNSMatchLabels and ingressNSPodMatchLabels', () => {
    const ns = synthPolicy({ clientNamespaceLabels: { team: 'apps' } });
    const a = world(ns.manifests);
    expect(a.can(a.pods.otherNamespaceApp, a.pods.member0, CLIENT)).toBe(true);
    expect(a.can(a.pods.otherNamespaceWorker, a.pods.member0, CLIENT)).toBe(true);
    expect(a.can(a.pods.scraper, a.pods.member0, CLIENT)).toBe(false);
    expect(a.can(a.pods.otherNamespaceApp, a.pods.member0, PEER)).toBe(false);

    const nsPods = synthPolicy({ clientNamespaceLabels: { team: 'apps' }, clientNamespacePodLabels: { app: 'api' } });
    expect(nsPods.policy.spec.ingress.find((r: Manifest) => r.ports[0].port === CLIENT).from).toContainEqual({
      namespaceSelector: { matchLabels: { team: 'apps' } }, podSelector: { matchLabels: { app: 'api' } },
    });
    const b = world(nsPods.manifests);
    expect(b.can(b.pods.otherNamespaceApp, b.pods.member0, CLIENT)).toBe(true);
    expect(b.can(b.pods.otherNamespaceWorker, b.pods.member0, CLIENT)).toBe(false);
  });

  test('other-namespace clients via peers: namespaces, pods in namespaces, addresses', () => {
    const chart = new Chart(Testing.app(), 'selectors');
    const { manifests } = synthPolicy({
      clientPeers: [
        NetworkPeer.namespaces(kplus.Namespaces.select(chart, 'mon', { names: ['monitoring'] })),
        NetworkPeer.pods(kplus.Pods.select(chart, 'api', { labels: { app: 'api' }, namespaces: kplus.Namespaces.select(chart, 'apps', { labels: { team: 'apps' } }) })),
        NetworkPeer.ipBlock('203.0.113.0/24', ['203.0.113.128/25']),
      ],
    });
    const { pods, can } = world(manifests);
    expect(can(pods.scraper, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.otherNamespaceApp, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.otherNamespaceWorker, pods.member0, CLIENT)).toBe(false);
    expect(can(external('203.0.113.5'), pods.member0, CLIENT)).toBe(true);
    expect(can(external('203.0.113.200'), pods.member0, CLIENT)).toBe(false);
  });

  test('a Namespace, namespaces by name and labels, and every pod of labelled namespaces', () => {
    const chart = new Chart(Testing.app(), 'selectors');
    const { manifests, policy } = synthPolicy({
      clientPeers: [
        NetworkPeer.namespaces(new kplus.Namespace(chart, 'monitoring', { metadata: { name: 'monitoring' } })),
        NetworkPeer.namespaces(kplus.Namespaces.select(chart, 'apps', { names: ['apps'], labels: { team: 'apps' } })),
        NetworkPeer.labels({}, { team: 'nobody' }),
      ],
    });
    expect(policy.spec.ingress[1].from).toEqual([
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { namespaceSelector: { matchLabels: { 'team': 'apps', 'kubernetes.io/metadata.name': 'apps' } } },
      { namespaceSelector: { matchLabels: { team: 'nobody' } }, podSelector: {} },
    ]);
    const { pods, can } = world(manifests);
    expect(can(pods.scraper, pods.member0, CLIENT)).toBe(true);
    expect(can(pods.otherNamespaceWorker, pods.member0, CLIENT)).toBe(true);
  });

  test('scrapers limited to the monitoring namespace, or none', () => {
    const chart = new Chart(Testing.app(), 'selectors');
    const mon = synthPolicy({ scrapers: [NetworkPeer.namespaces(kplus.Namespaces.select(chart, 'mon', { labels: { purpose: 'monitoring' } }))] });
    const a = world(mon.manifests);
    expect(a.can(a.pods.scraper, a.pods.member0, METRICS)).toBe(true);
    expect(a.can(a.pods.otherNamespaceApp, a.pods.member0, METRICS)).toBe(false);

    const none = synthPolicy({ scrapers: [] });
    expect(none.policy.spec.ingress.map((r: Manifest) => r.ports[0].port)).toEqual([PEER, CLIENT]);
    const b = world(none.manifests);
    expect(b.can(b.pods.scraper, b.pods.member0, METRICS)).toBe(false);
    expect(b.can(b.kubelet, b.pods.member0, METRICS)).toBe(true);

    const anywhere = synthPolicy({ scrapers: [NetworkPeer.anyPod(), NetworkPeer.anywhere()] });
    const c = world(anywhere.manifests);
    expect(c.can(c.internet, c.pods.member0, METRICS)).toBe(true);
  });

  test('limited egress: DNS and the members only, plus extra rules', () => {
    const { manifests, policy } = synthPolicy({
      allowExternalEgress: false,
      extraEgress: [{ peers: [NetworkPeer.ipBlock('10.20.0.0/16')], ports: [kplus.NetworkPolicyPort.tcp(443)] }],
    });
    expect(policy).toMatchSnapshot();
    const { pods, internet, kubelet, can } = world(manifests);
    expect(can(pods.member0, pods.dns, 53, 'UDP')).toBe(true);
    expect(can(pods.member0, pods.dns, 53, 'TCP')).toBe(true);
    expect(can(pods.member0, pods.member1, PEER)).toBe(true);
    expect(can(pods.member0, pods.member1, CLIENT)).toBe(true);
    expect(can(pods.member0, internet, 443)).toBe(false);
    expect(can(pods.member0, pods.otherNamespaceApp, 8080)).toBe(false);
    expect(can(pods.member0, external('10.20.1.1'), 443)).toBe(true);
    expect(can(pods.member0, external('10.20.1.1'), 80)).toBe(false);
    expect(can(pods.member0, kubelet, 10250)).toBe(true);
    // The cluster's Jobs are not selected: their egress stays open.
    expect(can(pods.job, internet, 443)).toBe(true);
  });

  test('extra ingress rules', () => {
    const { manifests } = synthPolicy({
      extraIngress: [
        { peers: [NetworkPeer.labels({ app: 'worker' }, { team: 'apps' })], ports: [kplus.NetworkPolicyPort.tcp(9000)] },
        { ports: [kplus.NetworkPolicyPort.tcpRange(7000, 7010)] },
      ],
    });
    const { pods, internet, can } = world(manifests);
    expect(can(pods.otherNamespaceWorker, pods.member0, 9000)).toBe(true);
    expect(can(pods.otherNamespaceApp, pods.member0, 9000)).toBe(false);
    expect(can(internet, pods.member0, 7005)).toBe(true);
    expect(can(internet, pods.member0, 7011)).toBe(false);
  });

  test('different ports follow the cluster\'s ports', () => {
    const { manifests, policy } = synthPolicy({ allowExternalEgress: false }, { ports: { client: 12379, peer: 12380, metrics: 12381 } });
    expect(policy.spec.ingress.map((r: Manifest) => r.ports[0].port)).toEqual([12380, 12379, 12381]);
    const { pods, can } = world(manifests);
    expect(can(pods.member0, pods.member1, 12380)).toBe(true);
    expect(can(pods.member0, pods.member1, PEER)).toBe(false);
    expect(can(pods.sameNamespaceApp, pods.member0, 12379)).toBe(true);
  });
});

describe('app wiring', () => {
  function apps(namespace?: string) {
    const app = Testing.app();
    const etcdChart = new Chart(app, 'test', { namespace: 'etcd' });
    const appChart = new Chart(app, 'apps', { namespace });
    const api = new kplus.Deployment(appChart, 'api', { containers: [{ image: 'api:1' }] });
    const cluster = new EtcdCluster(etcdChart, 'etcd', { name: 'etcd', networkPolicy: { allowSameNamespace: false } });
    return { etcdChart, appChart, api, cluster };
  }

  /** The Deployment's pod, as the evaluator sees it. */
  function podOf(chart: Chart, deployment: kplus.Deployment, ns: string): PodEndpoint {
    const d = find(Testing.synth(chart), 'Deployment', deployment.name);
    return pod(ns, 'api-1', '10.0.2.50', d.spec.template.metadata.labels);
  }

  test('allowClient(workload in another namespace) after construction opens the client port to its pods only', () => {
    const { etcdChart, appChart, api, cluster } = apps('apps');
    const before = world(Testing.synth(etcdChart));
    const apiPod = podOf(appChart, api, 'apps');
    expect(before.can(apiPod, before.pods.member0, CLIENT)).toBe(false);

    cluster.networkPolicy.allowClient(api);
    const manifests = Testing.synth(etcdChart);
    validateAll(manifests);
    const after = world(manifests);
    expect(find(manifests, 'NetworkPolicy', 'etcd').spec.ingress.find((r: Manifest) => r.ports[0].port === CLIENT).from).toContainEqual({
      podSelector: { matchLabels: { 'cdk8s.io/metadata.addr': expect.any(String) } },
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } },
    });
    expect(after.can(apiPod, after.pods.member0, CLIENT)).toBe(true);
    expect(after.can(apiPod, after.pods.member0, PEER)).toBe(false);
    expect(after.can(after.pods.otherNamespaceApp, after.pods.member0, CLIENT)).toBe(false);
    // The same pod labels in another namespace do not match.
    expect(after.can({ ...apiPod, namespace: 'other' }, after.pods.member0, CLIENT)).toBe(false);
  });

  test('allowClient(workload in the cluster\'s namespace) is a plain pod selector', () => {
    const { etcdChart, appChart, api, cluster } = apps('etcd');
    cluster.networkPolicy.allowClient(api);
    const manifests = Testing.synth(etcdChart);
    expect(find(manifests, 'NetworkPolicy', 'etcd').spec.ingress.find((r: Manifest) => r.ports[0].port === CLIENT).from)
      .toContainEqual({ podSelector: { matchLabels: { 'cdk8s.io/metadata.addr': expect.any(String) } } });
    const w = world(manifests);
    expect(w.can(podOf(appChart, api, 'etcd'), w.pods.member0, CLIENT)).toBe(true);
  });

  test('allowClient(workload in the same chart) works without any namespace', () => {
    const chart = new Chart(Testing.app(), 'test');
    const api = new kplus.Deployment(chart, 'api', { containers: [{ image: 'api:1' }] });
    const cluster = new EtcdCluster(chart, 'etcd', { name: 'etcd', networkPolicy: { allowSameNamespace: false } });
    cluster.networkPolicy.allowClient(api);
    const manifests = Testing.synth(chart);
    const from = find(manifests, 'NetworkPolicy', 'etcd').spec.ingress.find((r: Manifest) => r.ports[0].port === CLIENT).from;
    expect(from).toContainEqual({ podSelector: { matchLabels: { 'cdk8s.io/metadata.addr': expect.any(String) } } });
  });

  test('allowClient(workload with a namespace) works for a cluster without one', () => {
    const app = Testing.app();
    const etcdChart = new Chart(app, 'test');
    const api = new kplus.Deployment(new Chart(app, 'apps', { namespace: 'apps' }), 'api', { containers: [{ image: 'api:1' }] });
    const cluster = new EtcdCluster(etcdChart, 'etcd', { name: 'etcd' });
    cluster.networkPolicy.allowClient(api);
    const from = find(Testing.synth(etcdChart), 'NetworkPolicy', 'etcd').spec.ingress.find((r: Manifest) => r.ports[0].port === CLIENT).from;
    expect(from).toContainEqual(expect.objectContaining({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } } }));
  });

  test('allowClient(workload of another chart without a namespace) is an error, not a same-namespace rule', () => {
    const { api, cluster } = apps(undefined);
    expect(() => cluster.networkPolicy.allowClient(api))
      .toThrow(/^\[cdk8s-etcd\] test\/etcd: `allowClient` got Deployment "apps\/api" of chart "apps", which has no namespace\. .* this cluster's namespace "etcd"/);
  });

  test('... also when neither chart has a namespace', () => {
    const app = Testing.app();
    const api = new kplus.Deployment(new Chart(app, 'apps'), 'api', { containers: [{ image: 'api:1' }] });
    const cluster = new EtcdCluster(new Chart(app, 'test'), 'etcd', { name: 'etcd' });
    expect(() => cluster.networkPolicy.allowClient(api)).toThrow(/`allowClient` got Deployment "apps\/api" of chart "apps", which has no namespace/);
    // ... and in props.
    expect(() => new EtcdCluster(new Chart(app, 'more'), 'etcd', { name: 'etcd', networkPolicy: { clientPeers: [NetworkPeer.pods(api)] } }))
      .toThrow(/`networkPolicy\.clientPeers\[0\]` got Deployment "apps\/api"/);
  });

  test('allowClient(Pods.select without namespaces) means the cluster\'s namespace, as in cdk8s-plus', () => {
    const { etcdChart, appChart, cluster } = apps(undefined);
    cluster.networkPolicy.allowClient(kplus.Pods.select(appChart, 'tools', { labels: { app: 'tools' } }));
    const w = world(Testing.synth(etcdChart), { tools: pod('etcd', 'tools', '10.0.1.40', { app: 'tools' }) });
    expect(w.can(w.pods.tools, w.pods.member0, CLIENT)).toBe(true);
    expect(w.can({ ...w.pods.tools, namespace: 'apps' }, w.pods.member0, CLIENT)).toBe(false);
  });

  test('allowClientLabels: pod labels in the cluster\'s namespace, or in labelled namespaces', () => {
    const { etcdChart, cluster } = apps('apps');
    cluster.networkPolicy.allowClientLabels({ app: 'api' }, { team: 'apps' });
    cluster.networkPolicy.allowClientLabels({ role: 'backup' });
    cluster.networkPolicy.allowClientFrom(NetworkPeer.ipBlock('198.51.100.0/24'));
    const manifests = Testing.synth(etcdChart);
    validateAll(manifests);
    const w = world(manifests, { backup: pod('etcd', 'backup', '10.0.1.50', { role: 'backup' }) });
    expect(w.can(w.pods.otherNamespaceApp, w.pods.member0, CLIENT)).toBe(true);
    expect(w.can(w.pods.otherNamespaceWorker, w.pods.member0, CLIENT)).toBe(false);
    expect(w.can(w.pods.backup, w.pods.member0, CLIENT)).toBe(true);
    expect(w.can({ ...w.pods.backup, namespace: 'apps' }, w.pods.member0, CLIENT)).toBe(false);
    expect(w.can(external('198.51.100.9'), w.pods.member0, CLIENT)).toBe(true);
  });

  test('allowing the same source twice renders it once', () => {
    const { etcdChart, cluster } = apps('apps');
    cluster.networkPolicy.allowClientLabels({ app: 'api' }, { team: 'apps' });
    cluster.networkPolicy.allowClientLabels({ app: 'api' }, { team: 'apps' });
    const from = find(Testing.synth(etcdChart), 'NetworkPolicy', 'etcd').spec.ingress.find((r: Manifest) => r.ports[0].port === CLIENT).from;
    expect(from).toHaveLength(2);
  });

  test('with allowExternal, allowClient changes nothing', () => {
    const { manifests: before, cluster, chart } = synthCluster({ networkPolicy: { allowExternal: true } });
    cluster.networkPolicy.allowClientLabels({ app: 'api' });
    expect(Testing.synth(chart)).toEqual(before);
  });

  test('addIngressRule and addEgressRule after construction', () => {
    const { cluster, chart } = synthCluster({ networkPolicy: { allowExternalEgress: false } });
    cluster.networkPolicy.addIngressRule({ peers: [NetworkPeer.sameNamespace()], ports: [kplus.NetworkPolicyPort.tcp(9000)] });
    cluster.networkPolicy.addEgressRule({ peers: [NetworkPeer.anyPod()], ports: [kplus.NetworkPolicyPort.tcp(8443)] });
    const manifests = Testing.synth(chart);
    validateAll(manifests);
    const w = world(manifests);
    expect(w.can(w.pods.sameNamespaceApp, w.pods.member0, 9000)).toBe(true);
    expect(w.can(w.pods.otherNamespaceApp, w.pods.member0, 9000)).toBe(false);
    expect(w.can(w.pods.member0, w.pods.otherNamespaceApp, 8443)).toBe(true);
    expect(w.can(w.pods.member0, w.internet, 8443)).toBe(false);
  });
});

describe('NetworkPolicy validation', () => {
  test('extraEgress needs limited egress', () => {
    expectInvalid({ extraEgress: [{ ports: [kplus.NetworkPolicyPort.tcp(443)] }] }, /`networkPolicy\.extraEgress` has no effect while egress is open/);
  });

  test('addEgressRule needs limited egress', () => {
    const { cluster } = synthCluster();
    expect(() => cluster.networkPolicy.addEgressRule({})).toThrow(/`addEgressRule` has no effect while egress is open/);
  });

  test('clientNamespacePodLabels needs clientNamespaceLabels', () => {
    expectInvalid({ clientNamespacePodLabels: { app: 'api' } }, /`networkPolicy\.clientNamespacePodLabels` needs `networkPolicy\.clientNamespaceLabels`/);
  });

  test.each([
    ['allowSameNamespace', { allowSameNamespace: false }],
    ['clientPeers', { clientPeers: [NetworkPeer.anyPod()] }],
    ['clientNamespaceLabels', { clientNamespaceLabels: { team: 'apps' } }],
  ])('%s has no effect with allowExternal', (prop, options) => {
    expectInvalid({ allowExternal: true, ...options }, new RegExp(`\`networkPolicy\\.${prop}\` has no effect with \`networkPolicy\\.allowExternal\``));
  });

  test('options of a disabled policy are refused', () => {
    expectInvalid({ enabled: false, allowExternal: true }, /`networkPolicy\.allowExternal` has no effect without a NetworkPolicy/);
  });

  test.each(['10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32', '::/0', '::1/128', '2001:db8:0:0:0:0:0:1/128', 'fe80::1:2/64'])('CIDR %p is accepted', cidr => {
    expect(synthPolicy({ clientPeers: [NetworkPeer.ipBlock(cidr)] }).policy.spec.ingress[1].from).toContainEqual({ ipBlock: { cidr } });
  });

  test.each(['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', 'example.com/8', '2001:db8::/129', '2001:db8:::1/64', '1:2:3:4:5:6:7/64', '1:2:3:4:5:6:7:8::/64', '12345::/16'])('CIDR %p is refused', cidr => {
    expectInvalid({ clientPeers: [NetworkPeer.ipBlock(cidr)] }, /`networkPolicy\.clientPeers\[0\]` must be a CIDR range/);
  });

  test('except must lie within the range', () => {
    expectInvalid({ clientPeers: [NetworkPeer.ipBlock('10.0.0.0/16', ['10.1.0.0/24'])] }, /`networkPolicy\.clientPeers\[0\]` has except "10\.1\.0\.0\/24", which must be a CIDR range strictly within/);
    expectInvalid({ clientPeers: [NetworkPeer.ipBlock('10.0.0.0/16', ['10.0.0.0/16'])] }, /has except "10\.0\.0\.0\/16"/);
    expect(synthPolicy({ clientPeers: [NetworkPeer.ipBlock('2001:db8::/32', ['2001:db8:1::/48'])] }).policy.spec.ingress[1].from).toContainEqual({
      ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] },
    });
  });

  test('a rule with an empty peer or port list is refused', () => {
    expectInvalid({ extraIngress: [{ peers: [] }] }, /`networkPolicy\.extraIngress\[0\]\.peers` must list at least one peer/);
    expectInvalid({ extraIngress: [{ ports: [] }] }, /`networkPolicy\.extraIngress\[0\]\.ports` must list at least one port/);
  });

  test('labels must be valid label keys and values', () => {
    expectInvalid({ clientNamespaceLabels: { 'bad key': 'x' } }, /`networkPolicy\.clientNamespaceLabels` has "bad key", which is not a label key/);
    expectInvalid({ clientPeers: [NetworkPeer.labels({ app: 'not ok' })] }, /`networkPolicy\.clientPeers\[0\]` has "app": "not ok", which is not a label value/);
    const { cluster } = synthCluster();
    expect(() => cluster.networkPolicy.allowClientLabels({ app: 'api' }, { '-team': 'x' })).toThrow(/`allowClientLabels` has "-team", which is not a label key/);
  });
});

test('the member pod\'s named ports match what the policy opens', () => {
  // The policy uses numbers; the member's container ports carry the same numbers under their names.
  const { manifests, policy } = synthPolicy({});
  const ports = Object.fromEntries(container(memberPod(manifests), 'etcd').ports.map((p: Manifest) => [p.name, p.containerPort]));
  expect(policy.spec.ingress.map((r: Manifest) => r.ports[0].port)).toEqual([ports.peer, ports.client, ports.metrics]);
});

describe('NetworkPolicy and metrics agree', () => {
  test('scrapers may reach the port the monitors scrape, also when it is the client port', () => {
    const { manifests } = synthCluster({ metrics: { enabled: true, podMonitor: { enabled: true, port: ScrapePort.CLIENT } } });
    const rule = find(manifests, 'NetworkPolicy', 'etcd').spec.ingress
      .find((r: Manifest) => r.ports.some((p: Manifest) => p.port === 2381));
    expect(rule.ports.map((p: Manifest) => p.port)).toEqual([2381, 2379]);
    expect(rule.from).toEqual([{ namespaceSelector: {} }]);
  });
});
