/**
 * Counterexamples found by the property-based test (test/property.test.ts), one test each, so the
 * fix stays fixed independently of the seed. Each was either an error from inside cdk8s (instead of
 * the library's `[cdk8s-etcd]` validation error) or an object Kubernetes' schemas refuse.
 */
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AutoCompaction, CertManagerIssuer, EtcdCluster, EtcdClusterProps, SessionAffinity, TlsSource } from '../src';
import { validateAll } from './schema';
import { find, synthCluster } from './util';
import { EtcdValidationError } from '../src/errors';

/** Synthesis fails with the library's own error, naming `prop`. */
function expectInvalid(props: EtcdClusterProps, prop: string, message: RegExp, namespace: string | null = 'etcd') {
  let error: unknown;
  try {
    synthCluster(props, namespace);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EtcdValidationError);
  expect((error as EtcdValidationError).prop).toBe(prop);
  expect((error as Error).message).toMatch(/^\[cdk8s-etcd\] /);
  expect((error as Error).message).toMatch(message);
}

describe('fractions of a millisecond or kibibyte fail validation, not inside cdk8s', () => {
  test('a CronJob deadline of half a millisecond', () => {
    expectInvalid({ defrag: { startingDeadline: Duration.seconds(0.0005) } }, 'defrag.startingDeadline', /must be a whole number of seconds/);
  });

  test('whole-second Durations of the cluster (probes, grace period, reconcile Job, session affinity)', () => {
    expectInvalid({ probes: { startup: { period: Duration.millis(0.5) } } }, 'probes.startup.period', /whole number of seconds/);
    expectInvalid({ terminationGracePeriod: Duration.millis(1.5) }, 'terminationGracePeriod', /whole number of seconds/);
    expectInvalid({ reconcileJob: { ttlAfterFinished: Duration.millis(0.5) } }, 'reconcileJob.ttlAfterFinished', /whole number of seconds/);
    expectInvalid({ clientService: { sessionAffinity: SessionAffinity.CLIENT_IP, sessionAffinityTimeout: Duration.millis(0.5) } },
      'clientService.sessionAffinityTimeout', /whole seconds/);
  });

  test('a heartbeat of 1.5 milliseconds', () => {
    expectInvalid({ heartbeatInterval: Duration.millis(1.5) }, 'heartbeatInterval', /must be a whole number of milliseconds/);
  });

  test('a JWT lifetime with a fraction of a millisecond', () => {
    expectInvalid({ auth: { generateRootPassword: true, generateJwtKey: true, jwtTtl: Duration.millis(1000.5) } },
      'auth.jwtTtl', /whole seconds/);
  });

  test('a certificate lifetime of 1.5 milliseconds, or a fractional renewal', () => {
    const tls = (certManager: object) => ({ tls: { peer: TlsSource.certManager(), certManager: { issuer: CertManagerIssuer.issuer('ca-issuer'), ...certManager } } });
    expectInvalid(tls({ duration: Duration.millis(1.5) }), 'tls.certManager.duration', /at least 1 hour/);
    expectInvalid(tls({ renewBefore: Duration.millis(0.5) }), 'tls.certManager.renewBefore', /at least 5 minutes/);
    validateAll(synthCluster(tls({ duration: Duration.millis(7_200_000.5), renewBefore: Duration.hours(1) })).manifests);
  });

  test('a toleration that evicts after half a millisecond', () => {
    expectInvalid({ scheduling: { tolerations: [{ key: 'a', effect: kplus.TaintEffect.NO_EXECUTE, evictAfter: Duration.millis(0.5) }] } },
      'scheduling.tolerations[0].evictAfter', /whole number of seconds/);
  });

  test('periodic compaction of half a microsecond', () => {
    expect(() => AutoCompaction.periodic(Duration.seconds(0.0005))).toThrow(EtcdValidationError);
    expect(() => AutoCompaction.periodic(Duration.seconds(0.0005))).toThrow(/`retention` must be longer than zero, in whole milliseconds/);
    expect(AutoCompaction.periodic(Duration.minutes(30)).retention).toBe('30m');
  });

  test('a request limit of a tenth of a kibibyte', () => {
    expectInvalid({ maxRequestBytes: Size.mebibytes(0.0001) }, 'maxRequestBytes', /must be a whole number of bytes/);
  });

  test('a data volume of a tenth of a kibibyte', () => {
    expectInvalid({ persistence: { size: Size.mebibytes(0.0001) } }, 'quotaBackendBytes', /must fit the data volume/);
  });
});

describe('values Kubernetes refuses fail validation', () => {
  test('a name that starts with a digit (the client Service needs a DNS-1035 label)', () => {
    expectInvalid({ name: '9-a' }, 'name', /must be a DNS label .*starting with a letter/);
    expectInvalid({ name: '0' }, 'name', /must be a DNS label/);
  });

  test('an extra Service port of 0.5', () => {
    expectInvalid({ clientService: { extraPorts: [{ port: 0.5, name: 'backup' }] } }, 'clientService.extraPorts[0].port', /must be a port number from 1 to 65535/);
    expectInvalid({ clientService: { extraPorts: [{ port: 9000, name: 'backup', targetPort: 70000 }] } }, 'clientService.extraPorts[0].targetPort', /port number/);
  });

  test('int32 fields: reconcile Job, CronJob limits, probes, topology spread', () => {
    expectInvalid({ reconcileJob: { ttlAfterFinished: Duration.hours(1000000) } }, 'reconcileJob.ttlAfterFinished', /at most 2147483647/);
    expectInvalid({ reconcileJob: { backoffLimit: 2 ** 31 } }, 'reconcileJob.backoffLimit', /at most 2147483647/);
    expectInvalid({ disasterRecovery: { successfulJobsHistoryLimit: 2147483648 } }, 'disasterRecovery.successfulJobsHistoryLimit', /at most 2147483647/);
    expectInvalid({ probes: { readiness: { timeout: Duration.days(36500) } } }, 'probes.readiness.timeout', /at most 2147483647/);
    expectInvalid({ probes: { startup: { failureThreshold: Number.MAX_SAFE_INTEGER } } }, 'probes.startup.failureThreshold', /at most 2147483647/);
    expectInvalid({ scheduling: { topologySpread: [{ maxSkew: 9007199254740991 }] } }, 'scheduling.topologySpread[0].maxSkew', /at most 2147483647/);
  });

  test('a PrometheusRule namespace of 64 characters', () => {
    expectInvalid({ metrics: { enabled: true, prometheusRule: { enabled: true, namespace: 'x'.repeat(64), seriesSelector: 'job="etcd"' } } },
      'metrics.prometheusRule.namespace', /must be a namespace name/);
    validateAll(synthCluster({ metrics: { enabled: true, prometheusRule: { enabled: true, namespace: 'x'.repeat(63), seriesSelector: 'job="etcd"' } } }).manifests);
  });

  test('a fractional modulus on a relabeling that is not HASHMOD', () => {
    expectInvalid({ metrics: { enabled: true, podMonitor: { enabled: true, metricRelabelings: [{ targetLabel: 'pod', modulus: 0.5 }] } } },
      'metrics.podMonitor.metricRelabelings[0].modulus', /whole number of at least 1/);
  });
});

describe('client certificates never share a Secret', () => {
  const clusterWithCertManager = () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'etcd' });
    const cluster = new EtcdCluster(chart, 'etcd', { name: 'etcd', tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true } } });
    return { chart, cluster };
  };

  test('the same secretName twice, or the cluster\'s own', () => {
    const { cluster } = clusterWithCertManager();
    cluster.tls.addClientCertificate('App1', { commonName: 'app', secretName: 'app-etcd-tls' });
    expect(() => cluster.tls.addClientCertificate('App2', { commonName: 'app', secretName: 'app-etcd-tls' }))
      .toThrow(/`addClientCertificate.secretName` must give a Secret name .* that no other certificate of this cluster writes \(got "app-etcd-tls"\)/);
    expect(() => cluster.tls.addClientCertificate('App3', { commonName: 'x', secretName: 'etcd-client-tls' })).toThrow(EtcdValidationError);
    expect(() => cluster.tls.addClientCertificate('App4', { commonName: 'x', secretName: 'etcd-ca' })).toThrow(EtcdValidationError);
  });

  test('common names that make the same Secret name', () => {
    const { cluster } = clusterWithCertManager();
    cluster.tls.addClientCertificate('App1', { commonName: 'app' });
    expect(() => cluster.tls.addClientCertificate('App2', { commonName: 'App' })).toThrow(/`addClientCertificate.commonName` .*got "etcd-app-client-tls"/);
  });

  test('a secretName that is not a DNS subdomain', () => {
    const { cluster } = clusterWithCertManager();
    expect(() => cluster.tls.addClientCertificate('App1', { commonName: 'app', secretName: 'Bad Name' })).toThrow(/`addClientCertificate.secretName`/);
  });

  test('distinct client certificates still synthesize', () => {
    const { chart, cluster } = clusterWithCertManager();
    cluster.tls.addClientCertificate('App1', { commonName: 'app' });
    cluster.tls.addClientCertificate('App2', { commonName: 'reader', secretName: 'reader-tls' });
    validateAll(Testing.synth(chart));
  });
});

describe('the member selector selects the members only', () => {
  test('Job pod labels cannot take the members\' component label', () => {
    const labels = { 'app.kubernetes.io/component': 'etcd' };
    const { manifests } = synthCluster({ disasterRecovery: { podLabels: labels }, defrag: { podLabels: labels } });
    for (const [name, component] of [['etcd-snapshot', 'snapshot'], ['etcd-defrag', 'defrag']]) {
      expect(find(manifests, 'CronJob', name).spec.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/component']).toBe(component);
    }
  });
});

test('the regression cases that synthesize still validate', () => {
  validateAll(synthCluster({ clientService: { extraPorts: [{ port: 9000, name: 'backup', targetPort: 9000 }] } }).manifests);
  validateAll(synthCluster({ name: 'a9' }, null).manifests);
});
