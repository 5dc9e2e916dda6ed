/**
 * Metrics: scrape annotations, the client Service's metrics port, PodMonitor, ServiceMonitor and the
 * PrometheusRule (default alerts parsed as PromQL, scoped to the cluster), and one test per rule.
 */
import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EtcdClusterProps } from '../src';
import { validateManifest } from './schema';
import { Manifest, container, envOf, find, findAll, memberPod, synthCluster } from './util';
import { EtcdValidationError } from '../src/errors';
import {
  AlertSeverity, EtcdMetrics, EtcdMetricsOptions, MetricsLevel, RelabelAction, ScrapePort, ScrapeScheme,
} from '../src/metrics';

// The package is an ES module with a CommonJS build; its types are ESM-only, so it is required untyped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql');

const MONITORING = 'monitoring.coreos.com/v1';

function monitoring(manifests: Manifest[]): Manifest[] {
  return manifests.filter(m => m.apiVersion === MONITORING);
}

function synthMetrics(metrics: EtcdMetricsOptions, props: EtcdClusterProps = {}, namespace: string | null = 'etcd') {
  return synthCluster({ ...props, metrics }, namespace);
}

function rules(manifests: Manifest[]): Manifest[] {
  const rule = find(manifests, 'PrometheusRule', 'etcd');
  expect(rule.spec.groups).toHaveLength(1);
  return rule.spec.groups[0].rules;
}

function alert(manifests: Manifest[], name: string, severity?: string): Manifest {
  const found = rules(manifests).filter((r: Manifest) => r.alert === name && (severity === undefined || r.labels.severity === severity));
  expect(found).toHaveLength(1);
  return found[0];
}

// ---------------------------------------------------------------------------------------------
// PromQL: the lezer grammar Prometheus' own UI uses, plus a small type check on top of it (the
// grammar alone accepts `rate(foo)`, which Prometheus rejects).

type PromType = 'scalar' | 'vector' | 'matrix' | 'string';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

const EXPRESSIONS = new Set(['AggregateExpr', 'BinaryExpr', 'FunctionCall', 'MatrixSelector', 'NumberDurationLiteral', 'ParenExpr',
  'StringLiteral', 'SubqueryExpr', 'UnaryExpr', 'VectorSelector']);
/** Argument types of the functions the alerts use. */
const FUNCTIONS: { [name: string]: PromType[] } = {
  absent: ['vector'],
  histogram_quantile: ['scalar', 'vector'],
  increase: ['matrix'],
  last_over_time: ['matrix'],
  predict_linear: ['matrix', 'scalar'],
  rate: ['matrix'],
  vector: ['scalar'],
};

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) {
    out.push(c);
  }
  return out;
}

function expressions(node: Node): Node[] {
  return children(node).filter(c => EXPRESSIONS.has(c.name));
}

/** The type of an expression node, or an error naming the problem. */
function typeOf(node: Node, text: string): PromType {
  const src = () => text.slice(node.from, node.to);
  switch (node.name) {
    case 'NumberDurationLiteral': return 'scalar';
    case 'StringLiteral': return 'string';
    case 'VectorSelector': return 'vector';
    case 'MatrixSelector': return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr': return typeOf(expressions(node)[0], text);
    case 'SubqueryExpr': {
      const inner = typeOf(expressions(node)[0], text);
      if (inner !== 'vector') throw new Error(`subquery of a ${inner}: ${src()}`);
      return 'matrix';
    }
    case 'BinaryExpr': {
      const [l, r] = expressions(node).map(e => typeOf(e, text));
      const setOp = children(node).some(c => ['And', 'Or', 'Unless'].includes(c.name));
      if (![l, r].every(t => t === 'scalar' || t === 'vector') || (setOp && (l !== 'vector' || r !== 'vector'))) {
        throw new Error(`binary operation on ${l} and ${r}: ${src()}`);
      }
      return l === 'vector' || r === 'vector' ? 'vector' : 'scalar';
    }
    case 'AggregateExpr': {
      const body = children(node).find(c => c.name === 'FunctionCallBody');
      const args = expressions(body).map(e => typeOf(e, text));
      if (args[args.length - 1] !== 'vector') throw new Error(`aggregation of a ${args[args.length - 1]}: ${src()}`);
      return 'vector';
    }
    case 'FunctionCall': {
      const name = text.slice(node.firstChild.from, node.firstChild.to);
      const want = FUNCTIONS[name];
      if (!want) throw new Error(`function ${name} is not in the test's table: ${src()}`);
      const body = children(node).find(c => c.name === 'FunctionCallBody');
      const args = expressions(body).map(e => typeOf(e, text));
      if (JSON.stringify(args) !== JSON.stringify(want)) throw new Error(`${name}(${args.join(', ')}) needs (${want.join(', ')}): ${src()}`);
      return 'vector';
    }
    default: throw new Error(`unexpected ${node.name}: ${src()}`);
  }
}

/** Parses a PromQL expression: throws on a syntax error or a type error, returns the tree. */
function parsePromQL(expr: string): Node {
  const tree = parser.parse(expr);
  const errors: number[] = [];
  tree.iterate({ enter: (n: Node) => { if (n.type.isError) errors.push(n.from); } });
  if (errors.length) {
    throw new Error(`syntax error at ${errors.map(at => `${at}: "${expr.slice(at, at + 20)}"`).join(', ')} in ${expr}`);
  }
  const top = tree.topNode.firstChild;
  const type = typeOf(top, expr);
  if (type !== 'vector') throw new Error(`an alert needs an instant vector, got a ${type}: ${expr}`);
  return tree;
}

/** Every vector selector of an expression: metric name and label matchers. */
function selectors(expr: string): Array<{ metric: string; matchers: string[] }> {
  const out: Array<{ metric: string; matchers: string[] }> = [];
  parsePromQL(expr).iterate({
    enter: (n: Node) => {
      if (n.name !== 'VectorSelector') return;
      const node = n.node;
      const id = children(node).find(c => c.name === 'Identifier');
      const matchers = children(node).find(c => c.name === 'LabelMatchers');
      out.push({
        metric: id ? expr.slice(id.from, id.to) : '',
        matchers: matchers ? children(matchers).map(m => expr.slice(m.from, m.to).replace(/\s+/g, '')) : [],
      });
    },
  });
  return out;
}

describe('the PromQL check', () => {
  test('accepts the kinds of expression the alerts use', () => {
    expect(() => parsePromQL('histogram_quantile(0.99, sum without (le_x) (rate(a_bucket{job="x"}[5m]))) > 0.15 and b == bool 1')).not.toThrow();
  });

  test.each([
    ['a missing operand', 'rate(foo[5m]) >'],
    ['an unclosed bracket', 'rate(foo[5m)'],
    ['an unclosed string', 'foo{a="b}'],
    ['a bad duration', 'rate(foo[5x])'],
    ['an unknown function', 'rates(foo[5m])'],
  ])('fails on a syntax error: %s', (_what, expr) => {
    expect(() => parsePromQL(expr)).toThrow(/syntax error/);
  });

  test.each([
    ['a rate of an instant vector', 'rate(foo) > 1'],
    ['a comparison with a range', 'foo[5m] > 1'],
    ['a scalar result', '1 + 1'],
  ])('fails on a type error: %s', (_what, expr) => {
    expect(() => parsePromQL(expr)).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------

describe('metrics off (the default)', () => {
  const { cluster, manifests } = synthCluster();

  test('the listener is there, but nothing advertises it', () => {
    expect(cluster.metrics.enabled).toBe(false);
    expect(cluster.metrics.port).toBe(2381);
    expect(cluster.metrics.scrapePort).toBe(2381);
    expect(cluster.metrics.level).toBe(MetricsLevel.BASIC);
    expect(cluster.metrics.podMonitor).toBeUndefined();
    expect(cluster.metrics.serviceMonitor).toBeUndefined();
    expect(cluster.metrics.prometheusRule).toBeUndefined();
    expect(cluster.metrics.seriesSelector).toBeUndefined();
    expect(monitoring(manifests)).toEqual([]);
    const pod = find(manifests, 'StatefulSet', 'etcd').spec.template;
    expect(pod.metadata.annotations?.['prometheus.io/scrape']).toBeUndefined();
    expect(envOf(container(pod.spec, 'etcd'))).not.toHaveProperty('ETCD_METRICS');
    expect(find(manifests, 'Service', 'etcd').spec.ports.map((p: Manifest) => p.name)).toEqual(['client']);
  });
});

describe('metrics.enabled', () => {
  const { cluster, manifests } = synthMetrics({ enabled: true }, { ports: { metrics: 9090 } });

  test('adds the scrape annotations to the member pods', () => {
    expect(cluster.metrics.enabled).toBe(true);
    expect(cluster.metrics.port).toBe(9090);
    expect(find(manifests, 'StatefulSet', 'etcd').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
    });
  });

  test('adds a metrics port to the client Service only', () => {
    expect(find(manifests, 'Service', 'etcd').spec.ports).toContainEqual({ name: 'metrics', port: 9090, targetPort: 'metrics' });
    expect(find(manifests, 'Service', 'etcd-headless').spec.ports.map((p: Manifest) => p.name)).not.toContain('metrics');
    expect(container(memberPod(manifests), 'etcd').ports).toContainEqual({ name: 'metrics', containerPort: 9090, protocol: 'TCP' });
  });

  test('renders no monitor and keeps etcd\'s basic metrics', () => {
    expect(monitoring(manifests)).toEqual([]);
    expect(envOf(container(memberPod(manifests), 'etcd'))).not.toHaveProperty('ETCD_METRICS');
  });

  test('scrape annotations can be left out', () => {
    const { manifests: m } = synthMetrics({ enabled: true, scrapeAnnotations: false });
    expect(find(m, 'StatefulSet', 'etcd').spec.template.metadata.annotations?.['prometheus.io/scrape']).toBeUndefined();
    expect(find(m, 'Service', 'etcd').spec.ports.map((p: Manifest) => p.name)).toContain('metrics');
  });

  test('level EXTENSIVE sets ETCD_METRICS on the members, even without a rule', () => {
    const { cluster: c, manifests: m } = synthMetrics({ level: MetricsLevel.EXTENSIVE });
    expect(c.metrics.level).toBe(MetricsLevel.EXTENSIVE);
    expect(envOf(container(memberPod(m), 'etcd')).ETCD_METRICS).toBe('extensive');
  });
});

describe('PodMonitor', () => {
  const { cluster, manifests } = synthMetrics({ enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true } });

  test('renders the monitoring objects', () => {
    expect(monitoring(manifests)).toMatchSnapshot();
  });

  test('validates against the Prometheus Operator models and the vendored CRDs', () => {
    expect(monitoring(manifests)).toHaveLength(2);
    monitoring(manifests).forEach(validateManifest);
  });

  test('selects exactly the member pods, in the cluster\'s namespace', () => {
    const pm = find(manifests, 'PodMonitor', 'etcd');
    expect(cluster.metrics.podMonitor).toBeDefined();
    expect(pm.metadata.namespace).toBe('etcd');
    expect(pm.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'etcd', 'app.kubernetes.io/component': 'metrics' });
    expect(pm.spec.selector).toEqual({ matchLabels: find(manifests, 'StatefulSet', 'etcd').spec.selector.matchLabels });
    expect(pm.spec.namespaceSelector).toEqual({ matchNames: ['etcd'] });
    // No other pod of the chart (the reconcile Job's) carries the selected labels.
    const podTemplates = [...findAll(manifests, 'StatefulSet'), ...findAll(manifests, 'Job')].map(w => w.spec.template);
    const selected = podTemplates.filter(t => Object.entries(pm.spec.selector.matchLabels).every(([k, v]) => t.metadata?.labels?.[k] === v));
    expect(selected).toEqual([find(manifests, 'StatefulSet', 'etcd').spec.template]);
  });

  test('scrapes the plain-HTTP metrics port every 30s and labels the series with the cluster', () => {
    expect(find(manifests, 'PodMonitor', 'etcd').spec.podMetricsEndpoints).toEqual([{
      port: 'metrics',
      path: '/metrics',
      scheme: 'http',
      interval: '30s',
      relabelings: [{ action: 'replace', targetLabel: 'etcd_cluster', replacement: 'etcd' }],
    }]);
  });

  test('a PodMonitor in the monitoring namespace selects the cluster\'s namespace', () => {
    const { manifests: m } = synthMetrics({ enabled: true, podMonitor: { enabled: true, namespace: 'monitoring', labels: { release: 'prom' } } });
    const pm = find(m, 'PodMonitor', 'etcd');
    expect(pm.metadata.namespace).toBe('monitoring');
    expect(pm.metadata.labels.release).toBe('prom');
    expect(pm.spec.namespaceSelector).toEqual({ matchNames: ['etcd'] });
    validateManifest(pm);
  });

  test('without a chart namespace, the PodMonitor goes where the cluster goes', () => {
    const { cluster: c, manifests: m } = synthMetrics({ enabled: true, podMonitor: { enabled: true } }, {}, null);
    const pm = find(m, 'PodMonitor', 'etcd');
    expect(pm.metadata.namespace).toBeUndefined();
    expect(pm.spec.namespaceSelector).toBeUndefined();
    expect(c.metrics.seriesSelector).toBe('etcd_cluster="etcd"');
  });

  test('renders every scrape option', () => {
    const ca = kplus.Secret.fromSecretName(Testing.chart(), 'ca', 'etcd-ca');
    const client = kplus.Secret.fromSecretName(Testing.chart(), 'client', 'etcd-scrape-client');
    const { manifests: m } = synthMetrics({
      enabled: true,
      podMonitor: {
        enabled: true,
        interval: Duration.seconds(90),
        scrapeTimeout: Duration.millis(1500),
        port: ScrapePort.CLIENT,
        scheme: ScrapeScheme.HTTPS,
        honorLabels: true,
        tlsConfig: {
          ca: { secret: ca, key: 'ca.crt' },
          cert: { secret: client, key: 'tls.crt' },
          key: { secret: client, key: 'tls.key' },
          serverName: 'etcd.etcd.svc',
        },
        relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }],
        metricRelabelings: [{ action: RelabelAction.DROP, sourceLabels: ['__name__'], regex: 'go_.*' }],
      },
    });
    const endpoint = find(m, 'PodMonitor', 'etcd').spec.podMetricsEndpoints[0];
    expect(endpoint).toEqual({
      port: 'client',
      path: '/metrics',
      scheme: 'https',
      interval: '1m30s',
      scrapeTimeout: '1s500ms',
      honorLabels: true,
      relabelings: [
        { action: 'replace', targetLabel: 'etcd_cluster', replacement: 'etcd' },
        { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
      ],
      metricRelabelings: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' }],
      tlsConfig: {
        ca: { secret: { name: 'etcd-ca', key: 'ca.crt' } },
        cert: { secret: { name: 'etcd-scrape-client', key: 'tls.crt' } },
        keySecret: { name: 'etcd-scrape-client', key: 'tls.key' },
        serverName: 'etcd.etcd.svc',
      },
    });
    validateManifest(find(m, 'PodMonitor', 'etcd'));
  });
});

describe('ServiceMonitor', () => {
  const { cluster, manifests } = synthMetrics({
    enabled: true,
    serviceMonitor: { enabled: true, interval: Duration.seconds(15), scrapeTimeout: Duration.seconds(10), labels: { release: 'prom' } },
    prometheusRule: { enabled: true },
  });
  const sm = find(manifests, 'ServiceMonitor', 'etcd');

  test('renders the monitoring objects', () => {
    expect(monitoring(manifests)).toMatchSnapshot();
  });

  test('validates against the Prometheus Operator models and the vendored CRDs', () => {
    expect(monitoring(manifests)).toHaveLength(2);
    monitoring(manifests).forEach(validateManifest);
  });

  test('is exposed and labelled', () => {
    expect(cluster.metrics.serviceMonitor).toBeDefined();
    expect(sm.metadata.namespace).toBe('etcd');
    expect(sm.metadata.labels.release).toBe('prom');
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['etcd'] });
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics', scheme: 'http', interval: '15s', scrapeTimeout: '10s' });
  });

  /** The Services a ServiceMonitor endpoint scrapes: selected by labels, kept by the relabelings on the Service name, with the port. */
  function scrapedServices(m: Manifest[], monitor: Manifest): string[] {
    const endpoint = monitor.spec.endpoints[0];
    const keeps = endpoint.relabelings.filter((r: Manifest) => r.action === 'keep' && r.sourceLabels?.[0] === '__meta_kubernetes_service_name');
    return findAll(m, 'Service')
      .filter(s => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v))
      .filter(s => keeps.every((r: Manifest) => new RegExp(`^(?:${r.regex})$`).test(s.metadata.name)))
      .filter(s => s.spec.ports.some((p: Manifest) => p.name === endpoint.port))
      .map(s => s.metadata.name);
  }

  test('scrapes the client Service only, although the headless Service has the same labels', () => {
    const labelled = findAll(manifests, 'Service').filter(s => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(labelled.map(s => s.metadata.name).sort()).toEqual(['etcd', 'etcd-headless']);
    expect(scrapedServices(manifests, sm)).toEqual(['etcd']);
  });

  test('on the client port too, which both Services have', () => {
    const { cluster: c, manifests: m } = synthMetrics({ enabled: true, serviceMonitor: { enabled: true, port: ScrapePort.CLIENT } });
    expect(c.metrics.scrapePort).toBe(2379);
    expect(c.metrics.port).toBe(2381);
    const monitor = find(m, 'ServiceMonitor', 'etcd');
    expect(monitor.spec.endpoints[0].port).toBe('client');
    expect(scrapedServices(m, monitor)).toEqual(['etcd']);
  });

  test('the alerts count the peer failures over four scrape intervals', () => {
    expect(alert(manifests, 'etcdMembersDown').expr).toContain('[1m])');
  });
});

describe('PrometheusRule', () => {
  const { cluster, manifests } = synthMetrics({ enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true } });
  const all = rules(manifests);

  test('has upstream\'s alerts, severities and pending periods', () => {
    expect(all.map((r: Manifest) => [r.alert, r.labels.severity, r.for])).toEqual([
      ['etcdMembersDown', 'warning', '20m'],
      ['etcdInsufficientMembers', 'critical', '3m'],
      ['etcdNoLeader', 'critical', '1m'],
      ['etcdHighNumberOfLeaderChanges', 'warning', '5m'],
      ['etcdHighNumberOfFailedGRPCRequests', 'warning', '10m'],
      ['etcdHighNumberOfFailedGRPCRequests', 'critical', '5m'],
      ['etcdGRPCRequestsSlow', 'critical', '10m'],
      ['etcdMemberCommunicationSlow', 'warning', '10m'],
      ['etcdHighNumberOfFailedProposals', 'warning', '15m'],
      ['etcdHighFsyncDurations', 'warning', '10m'],
      ['etcdHighFsyncDurations', 'critical', '10m'],
      ['etcdHighCommitDurations', 'warning', '10m'],
      ['etcdDatabaseQuotaLowSpace', 'critical', '10m'],
      ['etcdExcessiveDatabaseGrowth', 'warning', '10m'],
      ['etcdDatabaseHighFragmentationRatio', 'warning', '10m'],
    ]);
    expect([...new Set(all.map((r: Manifest) => r.alert))]).toEqual(EtcdMetrics.defaultAlertNames());
  });

  test('every alert has a summary and a description naming the cluster', () => {
    for (const r of all) {
      expect(r.annotations.summary).toMatch(/\S/);
      expect(r.annotations.description).toContain('etcd cluster "etcd/etcd"');
    }
  });

  test.each(EtcdMetrics.defaultAlertNames())('%s parses as PromQL', name => {
    for (const r of all.filter((x: Manifest) => x.alert === name)) {
      expect(() => parsePromQL(r.expr)).not.toThrow();
    }
  });

  test('every series the alerts read is this cluster\'s: etcd_cluster and namespace', () => {
    for (const r of all) {
      const found = selectors(r.expr);
      expect(found.length).toBeGreaterThan(0);
      for (const s of found) {
        expect({ alert: r.alert, ...s }).toEqual({ alert: r.alert, metric: s.metric, matchers: expect.arrayContaining(['etcd_cluster="etcd"', 'namespace="etcd"']) });
      }
    }
    expect(cluster.metrics.seriesSelector).toBe('etcd_cluster="etcd", namespace="etcd"');
  });

  test('cluster-wide alerts aggregate the members away (instance and pod)', () => {
    expect(alert(manifests, 'etcdMembersDown').expr).toContain('sum without (instance, pod) (up{');
    expect(alert(manifests, 'etcdHighNumberOfLeaderChanges').expr).toContain('max without (instance, pod)');
  });

  test('insufficient members compares with the quorum of the desired size', () => {
    expect(alert(manifests, 'etcdInsufficientMembers').expr).toBe('sum without (instance, pod) (up{etcd_cluster="etcd", namespace="etcd"} == bool 1) < 2');
    const { manifests: five } = synthMetrics({ enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true } }, { replicas: 5 });
    expect(alert(five, 'etcdInsufficientMembers').expr).toMatch(/< 3$/);
  });

  test('turns on the extensive metrics etcdGRPCRequestsSlow needs', () => {
    expect(cluster.metrics.level).toBe(MetricsLevel.EXTENSIVE);
    expect(envOf(container(memberPod(manifests), 'etcd')).ETCD_METRICS).toBe('extensive');
    expect(alert(manifests, 'etcdGRPCRequestsSlow').expr).toContain('grpc_server_handling_seconds_bucket');
  });

  test('thresholds are substituted and still parse', () => {
    const { manifests: m } = synthMetrics({
      enabled: true,
      podMonitor: { enabled: true },
      prometheusRule: {
        enabled: true,
        thresholds: {
          leaderChanges: 3,
          failedGrpcRequestsWarningPercent: 2,
          failedGrpcRequestsCriticalPercent: 10,
          grpcRequestLatency: Duration.millis(300),
          peerRoundTripTime: Duration.millis(50),
          failedProposalsPerSecond: 0.5,
          fsyncDurationWarning: Duration.millis(100),
          fsyncDurationCritical: Duration.millis(200),
          commitDuration: Duration.millis(125),
          databaseQuotaUsedPercent: 80,
          databaseGrowthHorizon: Duration.hours(2),
          fragmentationInUseRatio: 0.25,
          fragmentationMinInUseSize: Size.gibibytes(1),
        },
      },
    });
    const expr = (name: string, severity?: string) => alert(m, name, severity).expr;
    expect(expr('etcdHighNumberOfLeaderChanges')).toMatch(/>= 3$/);
    expect(expr('etcdHighNumberOfFailedGRPCRequests', 'warning')).toMatch(/> 2$/);
    expect(expr('etcdHighNumberOfFailedGRPCRequests', 'critical')).toMatch(/> 10$/);
    expect(expr('etcdGRPCRequestsSlow')).toMatch(/> 0\.3$/);
    expect(expr('etcdMemberCommunicationSlow')).toMatch(/> 0\.05$/);
    expect(expr('etcdHighNumberOfFailedProposals')).toMatch(/> 0\.5$/);
    expect(expr('etcdHighFsyncDurations', 'warning')).toMatch(/> 0\.1$/);
    expect(expr('etcdHighFsyncDurations', 'critical')).toMatch(/> 0\.2$/);
    expect(expr('etcdHighCommitDurations')).toMatch(/> 0\.125$/);
    expect(expr('etcdDatabaseQuotaLowSpace')).toMatch(/\*100 > 80$/);
    expect(expr('etcdExcessiveDatabaseGrowth')).toContain('[2h], 7200)');
    expect(expr('etcdDatabaseHighFragmentationRatio')).toMatch(/< 0\.25 and .* > 1073741824$/);
    expect(alert(m, 'etcdDatabaseHighFragmentationRatio').annotations.summary).toContain('less than 25%');
    for (const r of rules(m)) {
      expect(() => parsePromQL(r.expr)).not.toThrow();
    }
  });

  test('alerts can be switched off by name, their severity changed, and labels added', () => {
    const { cluster: c, manifests: m } = synthMetrics({
      enabled: true,
      podMonitor: { enabled: true },
      prometheusRule: {
        enabled: true,
        disabledAlerts: ['etcdGRPCRequestsSlow', 'etcdHighFsyncDurations'],
        severities: { etcdMembersDown: AlertSeverity.CRITICAL, etcdNoLeader: AlertSeverity.INFO },
        alertLabels: { team: 'platform' },
      },
    });
    const names = rules(m).map((r: Manifest) => r.alert);
    expect(names).not.toContain('etcdGRPCRequestsSlow');
    expect(names).not.toContain('etcdHighFsyncDurations');
    expect(names).toHaveLength(12);
    expect(alert(m, 'etcdMembersDown').labels).toEqual({ team: 'platform', severity: 'critical' });
    expect(alert(m, 'etcdNoLeader').labels).toEqual({ team: 'platform', severity: 'info' });
    // Without etcdGRPCRequestsSlow, etcd keeps its basic metrics.
    expect(c.metrics.level).toBe(MetricsLevel.BASIC);
    expect(envOf(container(memberPod(m), 'etcd'))).not.toHaveProperty('ETCD_METRICS');
  });

  test('user alerts are added, from props and with addAlert', () => {
    const { chart, cluster: c } = synthMetrics({
      enabled: true,
      podMonitor: { enabled: true },
      prometheusRule: {
        enabled: true,
        defaultAlerts: false,
        extraAlerts: [{ name: 'EtcdDown', expression: 'up{job="etcd"} == 0', pendingFor: Duration.minutes(2), summary: 'down', labels: { page: 'yes' } }],
      },
    });
    c.metrics.addAlert({
      name: 'EtcdBigDatabase',
      expression: `etcd_mvcc_db_total_size_in_bytes{${c.metrics.seriesSelector}} > 1e9`,
      severity: AlertSeverity.CRITICAL,
      description: 'big',
      annotations: { runbook_url: 'https://example.org/etcd' },
    });
    const m = chart.toJson();
    expect(rules(m)).toEqual([
      { alert: 'EtcdDown', expr: 'up{job="etcd"} == 0', for: '2m', labels: { page: 'yes', severity: 'warning' }, annotations: { summary: 'down' } },
      {
        alert: 'EtcdBigDatabase',
        expr: 'etcd_mvcc_db_total_size_in_bytes{etcd_cluster="etcd", namespace="etcd"} > 1e9',
        labels: { severity: 'critical' },
        annotations: { description: 'big', runbook_url: 'https://example.org/etcd' },
      },
    ]);
    for (const r of rules(m)) {
      expect(() => parsePromQL(r.expr)).not.toThrow();
    }
    validateManifest(find(m, 'PrometheusRule', 'etcd'));
  });

  test('a user alert pending for zero fires at once (no `for`)', () => {
    const { manifests: m } = synthMetrics({
      enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true, extraAlerts: [{ name: 'A', expression: 'up == 0', pendingFor: Duration.seconds(0) }] },
    });
    expect(alert(m, 'A')).toEqual({ alert: 'A', expr: 'up == 0', labels: { severity: 'warning' } });
  });

  test('a default alert can be replaced by one of the same name', () => {
    const { manifests: m } = synthMetrics({
      enabled: true,
      podMonitor: { enabled: true },
      prometheusRule: { enabled: true, disabledAlerts: ['etcdNoLeader'], extraAlerts: [{ name: 'etcdNoLeader', expression: 'etcd_server_has_leader == 0' }] },
    });
    expect(alert(m, 'etcdNoLeader').expr).toBe('etcd_server_has_leader == 0');
  });

  test('with your own scrape configuration, the alerts select on your labels', () => {
    const { cluster: c, manifests: m } = synthMetrics({
      enabled: true,
      prometheusRule: { enabled: true, seriesSelector: 'job="kubernetes-pods", app_kubernetes_io_instance="etcd"', instanceLabels: ['instance', 'kubernetes_pod_name'] },
    });
    expect(c.metrics.seriesSelector).toBe('job="kubernetes-pods", app_kubernetes_io_instance="etcd"');
    expect(c.metrics.podMonitor).toBeUndefined();
    for (const r of rules(m)) {
      for (const s of selectors(r.expr)) {
        expect(s.matchers).toEqual(expect.arrayContaining(['job="kubernetes-pods"', 'app_kubernetes_io_instance="etcd"']));
      }
    }
    expect(alert(m, 'etcdInsufficientMembers').expr).toContain('sum without (instance, kubernetes_pod_name)');
    // Without a monitor, the peer-failure window assumes upstream's 30s interval.
    expect(alert(m, 'etcdMembersDown').expr).toContain('[2m])');
  });

  test('in another namespace, labelled for the Prometheus that selects it', () => {
    const { manifests: m } = synthMetrics({
      enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true, namespace: 'monitoring', labels: { release: 'prom' } },
    });
    const rule = find(m, 'PrometheusRule', 'etcd');
    expect(rule.metadata.namespace).toBe('monitoring');
    expect(rule.metadata.labels).toMatchObject({ 'release': 'prom', 'app.kubernetes.io/component': 'metrics' });
    // The series still come from the cluster's namespace.
    expect(rule.spec.groups[0].rules[0].expr).toContain('namespace="etcd"');
  });
});

// ---------------------------------------------------------------------------------------------

describe('validation', () => {
  const on = { enabled: true };
  const pm = (o: object) => ({ enabled: true, podMonitor: { enabled: true, ...o } });
  const sm = (o: object) => ({ enabled: true, serviceMonitor: { enabled: true, ...o } });
  const rule = (o: object) => ({ enabled: true, podMonitor: on, prometheusRule: { enabled: true, ...o } });
  const secret = (name: string) => ({ secret: kplus.Secret.fromSecretName(Testing.chart(), name, name), key: 'k' });

  function expectInvalid(f: () => unknown, prop: string, message: RegExp) {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EtcdValidationError);
    expect((error as EtcdValidationError).prop).toBe(prop);
    expect((error as Error).message).toContain(`test/etcd/Metrics: \`${prop}\``);
    expect((error as Error).message).toMatch(message);
  }

  test.each<[string, EtcdMetricsOptions, string, RegExp]>([
    ['a PodMonitor with metrics off', { podMonitor: on }, 'metrics.podMonitor.enabled', /needs `metrics.enabled`/],
    ['a ServiceMonitor with metrics off', { serviceMonitor: on }, 'metrics.serviceMonitor.enabled', /needs `metrics.enabled`/],
    ['a PrometheusRule with metrics off', { podMonitor: { enabled: false }, prometheusRule: on }, 'metrics.prometheusRule.enabled', /needs `metrics.enabled`/],
    ['PodMonitor settings without enabled', { enabled: true, podMonitor: { interval: Duration.seconds(10) } }, 'metrics.podMonitor.enabled',
      /is not set, so interval would have no effect/],
    ['both a PodMonitor and a ServiceMonitor', { enabled: true, podMonitor: on, serviceMonitor: on }, 'metrics.serviceMonitor.enabled', /scrape every member twice/],
    ['a scrape timeout longer than the interval', pm({ interval: Duration.seconds(10), scrapeTimeout: Duration.seconds(11) }),
      'metrics.podMonitor.scrapeTimeout', /\(11s\) must not be longer than the interval \(10s\)/],
    ['a scrape timeout longer than the default interval', sm({ scrapeTimeout: Duration.minutes(1) }), 'metrics.serviceMonitor.scrapeTimeout', /than the interval \(30s\)/],
    ['a sub-millisecond interval', pm({ interval: Duration.millis(0.5) }), 'metrics.podMonitor.interval', /whole number of milliseconds larger than zero/],
    ['a zero interval', sm({ interval: Duration.seconds(0) }), 'metrics.serviceMonitor.interval', /larger than zero/],
    ['a zero scrape timeout', pm({ scrapeTimeout: Duration.seconds(0) }), 'metrics.podMonitor.scrapeTimeout', /larger than zero/],
    ['HTTPS on the metrics port', pm({ scheme: ScrapeScheme.HTTPS }), 'metrics.podMonitor.scheme', /plain HTTP; use `port: ScrapePort.CLIENT`/],
    ['TLS settings on plain HTTP', sm({ tlsConfig: { insecureSkipVerify: true } }), 'metrics.serviceMonitor.tlsConfig', /needs `scheme` HTTPS/],
    ['a client certificate without its key', pm({ port: ScrapePort.CLIENT, scheme: ScrapeScheme.HTTPS, tlsConfig: { cert: secret('c') } }),
      'metrics.podMonitor.tlsConfig', /both `cert` and `key`/],
    ['a bad monitor namespace', pm({ namespace: 'Monitoring' }), 'metrics.podMonitor.namespace', /must be a namespace name/],
    ['a replace relabeling without target', pm({ relabelings: [{ sourceLabels: ['a'] }] }), 'metrics.podMonitor.relabelings[0].targetLabel',
      /required by the replace action/],
    ['a hashmod without modulus', sm({ metricRelabelings: [{ action: RelabelAction.HASHMOD, targetLabel: 'shard' }] }),
      'metrics.serviceMonitor.metricRelabelings[0].modulus', /at least 1 for HASHMOD/],
    ['a bad source label', pm({ relabelings: [{ action: RelabelAction.KEEP, sourceLabels: ['a-b'] }] }), 'metrics.podMonitor.relabelings[0].sourceLabels',
      /must be label names \(got "a-b"\)/],
    ['a bad target label', pm({ relabelings: [{ targetLabel: 'a b' }] }), 'metrics.podMonitor.relabelings[0].targetLabel', /must be a label name/],
    ['a disabled alert that does not exist', rule({ disabledAlerts: ['etcdNoLeaders'] }), 'metrics.prometheusRule.disabledAlerts',
      /names "etcdNoLeaders", which is not a default alert; the default alerts are etcdMembersDown, /],
    ['a severity for an alert that does not exist', rule({ severities: { etcdDown: AlertSeverity.INFO } }), 'metrics.prometheusRule.severities',
      /names "etcdDown", which is not a default alert/],
    ['a severity for an alert with two', rule({ severities: { etcdHighFsyncDurations: AlertSeverity.INFO } }), 'metrics.prometheusRule.severities',
      /has a warning and a critical rule/],
    ['duplicate user alert names', rule({ extraAlerts: [{ name: 'A', expression: 'up == 0' }, { name: 'A', expression: 'up == 1' }] }),
      'metrics.prometheusRule.extraAlerts[1].name', /"A" is already an alert of this rule/],
    ['a user alert named like a default one', rule({ extraAlerts: [{ name: 'etcdNoLeader', expression: 'up == 0' }] }),
      'metrics.prometheusRule.extraAlerts[0].name', /disable the default one/],
    ['a user alert without a name', rule({ extraAlerts: [{ name: ' ', expression: 'up == 0' }] }), 'metrics.prometheusRule.extraAlerts[0].name', /must not be empty/],
    ['a user alert without an expression', rule({ extraAlerts: [{ name: 'A', expression: '' }] }), 'metrics.prometheusRule.extraAlerts[0].expression',
      /must be a PromQL expression/],
    ['a user alert with a severity label', rule({ extraAlerts: [{ name: 'A', expression: 'up == 0', labels: { severity: 'page' } }] }),
      'metrics.prometheusRule.extraAlerts[0].labels', /must not set `severity`/],
    ['a sub-millisecond pending period', rule({ extraAlerts: [{ name: 'A', expression: 'up == 0', pendingFor: Duration.millis(1.5) }] }),
      'metrics.prometheusRule.extraAlerts[0].pendingFor', /whole number of milliseconds/],
    ['a severity among the alert labels', rule({ alertLabels: { severity: 'page' } }), 'metrics.prometheusRule.alertLabels', /must not set `severity`/],
    ['a bad alert label name', rule({ alertLabels: { 'team.name': 'db' } }), 'metrics.prometheusRule.alertLabels', /must be Prometheus label names .* \(got "team.name"\)/],
    ['a rule with nothing that labels the series', { enabled: true, prometheusRule: on }, 'metrics.prometheusRule.seriesSelector',
      /is needed without `metrics.podMonitor` or `metrics.serviceMonitor`/],
    ['a malformed series selector', rule({ seriesSelector: '{job="etcd"}' }), 'metrics.prometheusRule.seriesSelector', /must be label matchers without braces/],
    ['an empty series selector', rule({ seriesSelector: ' ' }), 'metrics.prometheusRule.seriesSelector', /must be label matchers/],
    ['an unquoted series selector', rule({ seriesSelector: 'job=etcd' }), 'metrics.prometheusRule.seriesSelector', /must be label matchers/],
    ['bad instance labels', rule({ instanceLabels: ['pod-name'] }), 'metrics.prometheusRule.instanceLabels', /one or more label names/],
    ['no instance labels', rule({ instanceLabels: [] }), 'metrics.prometheusRule.instanceLabels', /one or more label names/],
    ['a bad rule namespace', rule({ namespace: 'a_b' }), 'metrics.prometheusRule.namespace', /must be a namespace name/],
    ['basic metrics with etcdGRPCRequestsSlow', { ...rule({}), level: MetricsLevel.BASIC }, 'metrics.level',
      /BASIC leaves etcdGRPCRequestsSlow without its metric .* use EXTENSIVE or add it to `metrics.prometheusRule.disabledAlerts`/],
    ['zero leader changes', rule({ thresholds: { leaderChanges: 0 } }), 'metrics.prometheusRule.thresholds.leaderChanges', /whole number of at least 1/],
    ['a fractional leader change count', rule({ thresholds: { leaderChanges: 2.5 } }), 'metrics.prometheusRule.thresholds.leaderChanges', /whole number/],
    ['a zero failure percentage', rule({ thresholds: { failedGrpcRequestsWarningPercent: 0 } }), 'metrics.prometheusRule.thresholds.failedGrpcRequestsWarningPercent',
      /a percentage above 0, at most 100 \(got 0\)/],
    ['a failure percentage above 100', rule({ thresholds: { failedGrpcRequestsCriticalPercent: 150 } }),
      'metrics.prometheusRule.thresholds.failedGrpcRequestsCriticalPercent', /at most 100 \(got 150\)/],
    ['a critical failure percentage below the warning one', rule({ thresholds: { failedGrpcRequestsWarningPercent: 10 } }),
      'metrics.prometheusRule.thresholds.failedGrpcRequestsCriticalPercent', /\(5\) must be above the warning threshold \(10\)/],
    ['a zero latency', rule({ thresholds: { grpcRequestLatency: Duration.seconds(0) } }), 'metrics.prometheusRule.thresholds.grpcRequestLatency',
      /must be longer than zero/],
    ['a zero round-trip time', rule({ thresholds: { peerRoundTripTime: Duration.seconds(0) } }), 'metrics.prometheusRule.thresholds.peerRoundTripTime',
      /must be longer than zero/],
    ['a zero commit duration', rule({ thresholds: { commitDuration: Duration.seconds(0) } }), 'metrics.prometheusRule.thresholds.commitDuration',
      /must be longer than zero/],
    ['a critical fsync duration below the warning one', rule({ thresholds: { fsyncDurationCritical: Duration.millis(400) } }),
      'metrics.prometheusRule.thresholds.fsyncDurationCritical', /\(0\.4s\) must be above the warning threshold \(0\.5s\)/],
    ['a negative proposal rate', rule({ thresholds: { failedProposalsPerSecond: -1 } }), 'metrics.prometheusRule.thresholds.failedProposalsPerSecond',
      /a rate above 0/],
    ['a quota percentage above 100', rule({ thresholds: { databaseQuotaUsedPercent: 101 } }), 'metrics.prometheusRule.thresholds.databaseQuotaUsedPercent',
      /at most 100/],
    ['a fragmentation ratio of 1', rule({ thresholds: { fragmentationInUseRatio: 1 } }), 'metrics.prometheusRule.thresholds.fragmentationInUseRatio',
      /a ratio above 0, below 1/],
    ['a growth horizon in fractions of a second', rule({ thresholds: { databaseGrowthHorizon: Duration.millis(1500) } }),
      'metrics.prometheusRule.thresholds.databaseGrowthHorizon', /must be whole seconds/],
    ['a fragmentation size in fractions of a byte', rule({ thresholds: { fragmentationMinInUseSize: Size.kibibytes(0.0001) } }),
      'metrics.prometheusRule.thresholds.fragmentationMinInUseSize', /must be a whole number of bytes/],
    ['a zero growth horizon', rule({ thresholds: { databaseGrowthHorizon: Duration.seconds(0) } }), 'metrics.prometheusRule.thresholds.databaseGrowthHorizon',
      /larger than zero/],
  ])('fails on %s', (_what, metrics, prop, message) => {
    expectInvalid(() => synthMetrics(metrics), prop, message);
  });

  test('fails on a monitor in another namespace when the cluster\'s is not known', () => {
    expectInvalid(() => synthMetrics(pm({ namespace: 'monitoring' }), {}, null), 'metrics.podMonitor.namespace', /give the chart a namespace/);
  });

  test('fails on a PrometheusRule without alerts, at synth (addAlert may still add some before)', () => {
    expect(() => synthMetrics(rule({ defaultAlerts: false }))).toThrow(
      /EtcdValidationError: \[cdk8s-etcd\] test\/etcd\/Metrics: `metrics.prometheusRule` has no alerts: keep `defaultAlerts`, or add `extraAlerts`/);
  });

  test('fails on addAlert without a PrometheusRule', () => {
    const { cluster } = synthMetrics({ enabled: true, podMonitor: on });
    expectInvalid(() => cluster.metrics.addAlert({ name: 'A', expression: 'up == 0' }), 'metrics.prometheusRule.enabled', /must be set to add the alert "A"/);
  });

  test('fails on addAlert with a name the rule has', () => {
    const { cluster } = synthMetrics(rule({}));
    expectInvalid(() => cluster.metrics.addAlert({ name: 'etcdNoLeader', expression: 'up == 0' }), 'addAlert.name', /is already an alert of this rule/);
  });
});
