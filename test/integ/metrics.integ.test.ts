/**
 * Metrics against a real etcd: a 3-member cluster with metrics, a PodMonitor and the PrometheusRule
 * runs in the pod runner; its members serve `/metrics` on the port the PodMonitor and the scrape
 * annotations name, and every metric the default alerts read is among what they serve.
 */
import { Manifest, find, synthCluster } from '../util';
import { Pod, Sandbox } from './runner';

// The package is an ES module with a CommonJS build; its types are ESM-only, so it is required untyped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql');

const NAMESPACE = 'etcd';

/** Metric names of every vector selector of a PromQL expression (failing on a syntax error). */
function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  tree.iterate({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    enter: (n: any) => {
      if (n.type.isError) throw new Error(`syntax error at ${n.from} in ${expr}`);
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        if (id) names.push(expr.slice(id.from, id.to));
      }
    },
  });
  return names;
}

/** Metric names in a Prometheus text exposition. */
function exposed(text: string): Set<string> {
  return new Set(text.split('\n').filter(l => l && !l.startsWith('#')).map(l => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
}

describe('metrics of a running cluster', () => {
  const { manifests } = synthCluster({
    replicas: 3,
    metrics: { enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: true } },
  }, NAMESPACE);
  const sts = find(manifests, 'StatefulSet', 'etcd');
  const podMonitor = find(manifests, 'PodMonitor', 'etcd');
  const rule = find(manifests, 'PrometheusRule', 'etcd');
  let sb: Sandbox;
  let pods: Pod[];

  /** GET the metrics of a member on the port the PodMonitor names, at the path the annotations give. */
  async function scrape(pod: string): Promise<string> {
    const endpoint = podMonitor.spec.podMetricsEndpoints[0];
    const etcd = sts.spec.template.spec.containers.find((c: Manifest) => c.name === 'etcd');
    const port = etcd.ports.find((p: Manifest) => p.name === endpoint.port).containerPort;
    const annotations = sts.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/port']).toBe(`${port}`);
    expect(annotations['prometheus.io/path']).toBe(endpoint.path);
    const url = `${endpoint.scheme}://${pod}.${sts.spec.serviceName}.${NAMESPACE}.svc.cluster.local:${port}${endpoint.path}`;
    const r = await sb.exec(['busybox', 'wget', '-qO-', url], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`GET ${url} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  beforeAll(async () => {
    sb = await Sandbox.create({ namespace: NAMESPACE, probeTimeScale: 0.2 });
    sb.apply(manifests);
    pods = await sb.startStatefulSet('etcd');
    await Promise.all(pods.map(p => p.waitReady({ timeoutMs: 40_000 })));
  }, 50_000);

  afterAll(async () => {
    await sb?.close();
  });

  test('every member serves its metrics on the advertised port, with a leader', async () => {
    for (const p of pods) {
      const text = await scrape(p.name);
      expect(text).toMatch(/^etcd_server_has_leader 1$/m);
    }
  });

  test('the members export the extensive metrics the PrometheusRule turned on', async () => {
    // A unary request, so the latency histogram has a sample wherever it is not pre-initialized.
    const put = await sb.exec(['etcdctl', `--endpoints=http://etcd-0.etcd-headless.${NAMESPACE}.svc.cluster.local:2379`, 'put', 'k', 'v']);
    expect(put.code).toBe(0);
    expect(await scrape('etcd-0')).toMatch(/^grpc_server_handling_seconds_bucket\{.*grpc_type="unary".*\} \d+$/m);
  });

  test('every metric the default alerts read is exported (a member down shows the peer failures)', async () => {
    const wanted = new Set<string>(rule.spec.groups[0].rules.flatMap((r: Manifest) => metricNames(r.expr)));
    wanted.delete('up'); // Prometheus' own
    expect(wanted.size).toBeGreaterThanOrEqual(12);
    // etcd_network_peer_sent_failures_total only appears after a failure: stop a member, and the
    // leader's messages to it fail.
    await pods[2].stop();
    const missing = async () => {
      const seen = new Set<string>();
      for (const p of pods.slice(0, 2)) exposed(await scrape(p.name)).forEach(n => seen.add(n));
      return [...wanted].filter(n => !seen.has(n)).sort();
    };
    const deadline = Date.now() + 20_000;
    let left = await missing();
    while (left.length && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
      left = await missing();
    }
    expect(left).toEqual([]);
  }, 30_000);
});
