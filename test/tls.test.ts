import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CertManagerIssuer, EtcdClusterProps, KeyAlgorithm, TlsSource } from '../src';
import { validateAll } from './schema';
import { container, envOf, find, findAll, forSnapshot, Manifest, memberPod, synthCluster } from './util';

const secret = (name: string) => kplus.Secret.fromSecretName(Testing.chart(), name, name);

function expectInvalid(props: EtcdClusterProps, message: RegExp) {
  expect(() => synthCluster(props)).toThrow(message);
}

describe('TLS: auto', () => {
  const { cluster, manifests } = synthCluster({ tls: { peer: TlsSource.auto(), client: TlsSource.auto() } });

  test('switches every URL to https and lets etcd make its own certificates', () => {
    const env = envOf(container(memberPod(manifests), 'etcd'));
    expect(env).toMatchObject({
      ETCD_AUTO_TLS: 'true',
      ETCD_PEER_AUTO_TLS: 'true',
      ETCD_LISTEN_CLIENT_URLS: 'https://0.0.0.0:2379',
      ETCD_LISTEN_PEER_URLS: 'https://0.0.0.0:2380',
      ETCD_ADVERTISE_CLIENT_URLS: 'https://$(POD_NAME).etcd-headless.$(POD_NAMESPACE).svc.cluster.local:2379',
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'https://$(POD_NAME).etcd-headless.$(POD_NAMESPACE).svc.cluster.local:2380',
      ETCDK8S_CLIENT_SCHEME: 'https',
      ETCDK8S_PEER_SCHEME: 'https',
      // auto TLS proves no identity: etcdctl cannot verify it
      ETCDCTL_INSECURE_SKIP_TLS_VERIFY: 'true',
      // the metrics and health listener stays plain HTTP for the probes
      ETCD_LISTEN_METRICS_URLS: 'http://0.0.0.0:2381',
    });
    expect(container(memberPod(manifests), 'etcd').readinessProbe.httpGet.scheme).toBe('HTTP');
    expect(cluster.clientEndpoint).toBe('https://etcd.etcd.svc.cluster.local:2379');
    expect(cluster.peerUrls[0]).toBe('https://etcd-0.etcd-headless.etcd.svc.cluster.local:2380');
  });

  test('renders the auto-TLS cluster', () => {
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });

  test('the Jobs reach the cluster over https too', () => {
    const job = findAll(manifests, 'Job')[0];
    expect(envOf(container(job.spec.template.spec, 'reconcile'))).toMatchObject({ ETCDK8S_CLIENT_SCHEME: 'https', ETCDCTL_INSECURE_SKIP_TLS_VERIFY: 'true' });
  });
});

describe('TLS: certificates from Secrets', () => {
  const { manifests } = synthCluster({
    tls: {
      peer: TlsSource.fromSecret(secret('etcd-peer'), { cert: 'cert.pem', privateKey: 'key.pem', ca: 'ca.pem' }),
      client: TlsSource.fromSecret(secret('etcd-server')),
      clientCertAuth: true,
      jobCredentials: secret('etcd-root-client'),
    },
  });
  const pod = memberPod(manifests);
  const etcd = container(pod, 'etcd');

  test('mounts the Secrets and points etcd at the configured keys', () => {
    expect(envOf(etcd)).toMatchObject({
      ETCD_CERT_FILE: '/etc/etcd/tls/server/tls.crt',
      ETCD_KEY_FILE: '/etc/etcd/tls/server/tls.key',
      ETCD_CLIENT_CERT_AUTH: 'true',
      ETCD_TRUSTED_CA_FILE: '/etc/etcd/tls/server/ca.crt',
      ETCD_PEER_CERT_FILE: '/etc/etcd/tls/peer/cert.pem',
      ETCD_PEER_KEY_FILE: '/etc/etcd/tls/peer/key.pem',
      ETCD_PEER_TRUSTED_CA_FILE: '/etc/etcd/tls/peer/ca.pem',
      ETCD_PEER_CLIENT_CERT_AUTH: 'true',
    });
    expect(pod.volumes).toContainEqual({ name: 'tls-server', secret: { secretName: 'etcd-server', defaultMode: 0o440 } });
    expect(pod.volumes).toContainEqual({ name: 'tls-peer', secret: { secretName: 'etcd-peer', defaultMode: 0o440 } });
    expect(etcd.volumeMounts).toContainEqual({ name: 'tls-server', mountPath: '/etc/etcd/tls/server', readOnly: true });
  });

  test('etcdctl in members and Jobs uses the job credentials', () => {
    for (const c of [etcd, container(findAll(manifests, 'Job')[0].spec.template.spec, 'reconcile')]) {
      expect(envOf(c)).toMatchObject({
        ETCDCTL_CACERT: '/etc/etcd/tls/client/ca.crt',
        ETCDCTL_CERT: '/etc/etcd/tls/client/tls.crt',
        ETCDCTL_KEY: '/etc/etcd/tls/client/tls.key',
      });
      expect(c.volumeMounts).toContainEqual({ name: 'tls-client', mountPath: '/etc/etcd/tls/client', readOnly: true });
    }
    expect(findAll(manifests, 'Job')[0].spec.template.spec.volumes).toContainEqual({ name: 'tls-client', secret: { secretName: 'etcd-root-client', defaultMode: 0o440 } });
  });

  test('renders no certificate objects and no Secrets', () => {
    expect(manifests.filter((m: Manifest) => m.apiVersion.startsWith('cert-manager.io') || m.kind === 'Secret')).toEqual([]);
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });
});

describe('TLS: cert-manager with a self-signed CA', () => {
  const { cluster, manifests } = synthCluster({
    tls: {
      peer: TlsSource.certManager(),
      client: TlsSource.certManager(),
      clientCertAuth: true,
      certManager: { selfSignedCa: true, extraDnsNames: ['etcd.example.com'] },
    },
  });

  test('renders the whole certificate chain and validates against the CRDs', () => {
    expect(forSnapshot(manifests)).toMatchSnapshot();
    validateAll(manifests);
    const inventory = manifests.filter((m: Manifest) => m.apiVersion === 'cert-manager.io/v1').map((m: Manifest) => `${m.kind}/${m.metadata.name}`).sort();
    expect(inventory).toEqual([
      'Certificate/etcd-ca', 'Certificate/etcd-client-tls', 'Certificate/etcd-peer-tls', 'Certificate/etcd-server-tls',
      'Issuer/etcd-ca', 'Issuer/etcd-selfsigned',
    ]);
  });

  test('the CA is bootstrapped by a self-signed Issuer', () => {
    expect(find(manifests, 'Issuer', 'etcd-selfsigned').spec).toEqual({ selfSigned: {} });
    expect(find(manifests, 'Certificate', 'etcd-ca').spec).toMatchObject({
      isCA: true, secretName: 'etcd-ca', issuerRef: { name: 'etcd-selfsigned', kind: 'Issuer', group: 'cert-manager.io' },
    });
    expect(find(manifests, 'Issuer', 'etcd-ca').spec).toEqual({ ca: { secretName: 'etcd-ca' } });
  });

  test('server and peer certificates cover every member and Service name', () => {
    const server = find(manifests, 'Certificate', 'etcd-server-tls').spec;
    expect(server.issuerRef).toEqual({ name: 'etcd-ca', kind: 'Issuer', group: 'cert-manager.io' });
    for (const name of [
      'etcd-0.etcd-headless.etcd.svc.cluster.local', 'etcd-2.etcd-headless', '*.etcd-headless.etcd.svc.cluster.local',
      'etcd-headless', 'etcd', 'etcd.etcd.svc.cluster.local', 'etcd.example.com', 'localhost',
    ]) {
      expect(server.dnsNames).toContain(name);
    }
    expect(server.usages).toEqual(['digital signature', 'key encipherment', 'server auth']);
    const peer = find(manifests, 'Certificate', 'etcd-peer-tls').spec;
    expect(peer.usages).toEqual(['digital signature', 'key encipherment', 'server auth', 'client auth']);
    expect(peer.dnsNames).not.toContain('etcd.example.com');
    expect(server).toMatchObject({ duration: '2160h', renewBefore: '720h', privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' } });
  });

  test('the Jobs get a root client certificate', () => {
    expect(find(manifests, 'Certificate', 'etcd-client-tls').spec).toMatchObject({ commonName: 'root', usages: ['digital signature', 'key encipherment', 'client auth'] });
    expect(cluster.tls.clientCertificateSecret?.name).toBe('etcd-client-tls');
    expect(findAll(manifests, 'Job')[0].spec.template.spec.volumes).toContainEqual({ name: 'tls-client', secret: { secretName: 'etcd-client-tls', defaultMode: 0o440 } });
  });

  test('an application can get its own client certificate', () => {
    const { cluster: c, chart } = synthCluster({
      tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true } },
    });
    const appSecret = c.tls.addClientCertificate('app', { commonName: 'billing' });
    expect(appSecret.name).toBe('etcd-billing-client-tls');
    const cert = find(Testing.synth(chart), 'Certificate', 'etcd-billing-client-tls');
    expect(cert.spec).toMatchObject({ commonName: 'billing', secretName: 'etcd-billing-client-tls', issuerRef: { name: 'etcd-ca' } });
  });
});

describe('TLS: cert-manager with a given issuer', () => {
  test('uses the ClusterIssuer with the requested key and lifetimes', () => {
    const { manifests } = synthCluster({
      tls: {
        peer: TlsSource.certManager(),
        certManager: { issuer: CertManagerIssuer.clusterIssuer('corp-ca'), keyAlgorithm: KeyAlgorithm.RSA, keySize: 4096, duration: Duration.days(30), renewBefore: Duration.days(10) },
      },
    });
    validateAll(manifests);
    expect(findAll(manifests, 'Issuer')).toEqual([]);
    expect(find(manifests, 'Certificate', 'etcd-peer-tls').spec).toMatchObject({
      issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      privateKey: { algorithm: 'RSA', size: 4096 },
      duration: '720h',
      renewBefore: '240h',
    });
    // peer-only TLS: clients stay on plain HTTP
    const env = envOf(container(memberPod(manifests), 'etcd'));
    expect(env.ETCD_LISTEN_CLIENT_URLS).toBe('http://0.0.0.0:2379');
    expect(env.ETCD_PEER_CLIENT_CERT_AUTH).toBe('true');
    expect(env.ETCDCTL_CACERT).toBeUndefined();
  });
});

describe('TLS validation', () => {
  test('client certificate auth needs client TLS with a CA', () => {
    expectInvalid({ tls: { clientCertAuth: true } }, /`tls.clientCertAuth` needs client certificates with a CA/);
    expectInvalid({ tls: { client: TlsSource.auto(), clientCertAuth: true } }, /`tls.clientCertAuth` needs client certificates with a CA/);
  });

  test('peer certificate auth needs peer TLS with a CA', () => {
    expectInvalid({ tls: { peer: TlsSource.auto(), peerCertAuth: true } }, /`tls.peerCertAuth` needs peer certificates with a CA/);
  });

  test('a Secret must name its three keys', () => {
    expectInvalid({ tls: { client: TlsSource.fromSecret(secret('s'), { cert: '' }) } }, /`tls.client keys.cert` must be a Secret key/);
    expectInvalid({ tls: { peer: TlsSource.fromSecret(secret('s'), { ca: 'tls.crt' }) } }, /`tls.peer keys` must name three different keys/);
  });

  test('cert-manager needs exactly one issuer', () => {
    expectInvalid({ tls: { client: TlsSource.certManager() } }, /`tls.certManager` needs an issuer: set `issuer` .* or `selfSignedCa: true`/);
    expectInvalid({ tls: { client: TlsSource.certManager(), certManager: {} } }, /`tls.certManager` needs an issuer/);
    expectInvalid({ tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true, issuer: CertManagerIssuer.issuer('x') } } },
      /`tls.certManager` takes either `issuer` or `selfSignedCa`, not both/);
  });

  test('durations cert-manager would reject are refused', () => {
    const tls = (certManager: object) => ({ tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true, ...certManager } } });
    expectInvalid(tls({ duration: Duration.days(10), renewBefore: Duration.days(10) }), /`tls.certManager.renewBefore` \(10 days\) must be shorter than `tls.certManager.duration`/);
    expectInvalid(tls({ duration: Duration.minutes(30) }), /`tls.certManager.duration` must be at least 1 hour/);
    expectInvalid(tls({ renewBefore: Duration.minutes(1) }), /`tls.certManager.renewBefore` must be at least 5 minutes/);
  });

  test('key sizes must fit the algorithm', () => {
    const tls = (certManager: object) => ({ tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true, ...certManager } } });
    expectInvalid(tls({ keySize: 2048 }), /`tls.certManager.keySize` must be one of 256, 384, 521 for ECDSA/);
    expectInvalid(tls({ keyAlgorithm: KeyAlgorithm.ED25519, keySize: 256 }), /`tls.certManager.keySize` does not apply to Ed25519/);
  });

  test('cert-manager options without a cert-manager side are refused', () => {
    expectInvalid({ tls: { client: TlsSource.auto(), certManager: { selfSignedCa: true } } }, /`tls.certManager` only applies when/);
  });

  test('cert-manager needs the namespace for DNS names', () => {
    expect(() => synthCluster({ tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true } } }, null))
      .toThrow(/`tls.certManager` needs the namespace .* give the chart a `namespace`/);
  });

  test('job credentials only apply to Secret-based client TLS', () => {
    expectInvalid({ tls: { client: TlsSource.auto(), jobCredentials: secret('x') } }, /`tls.jobCredentials` only applies when `tls.client` is TlsSource.fromSecret\(\)/);
  });

  test('extra DNS names must be DNS names', () => {
    expectInvalid({ tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true, extraDnsNames: ['not a name'] } } },
      /`tls.certManager.extraDnsNames` must be DNS names/);
  });

  test('client certificates for applications need cert-manager client TLS', () => {
    const { cluster } = synthCluster({ tls: { client: TlsSource.auto() } });
    expect(() => cluster.tls.addClientCertificate('app', { commonName: 'app' })).toThrow(/`tls.client` must be TlsSource.certManager\(\) to issue client certificates/);
    const { cluster: cm } = synthCluster({ tls: { client: TlsSource.certManager(), certManager: { selfSignedCa: true } } });
    expect(() => cm.tls.addClientCertificate('bad', { commonName: 'a b' })).toThrow(/`addClientCertificate.commonName` must be 1 to 64 characters/);
  });
});

describe('connectionEnv', () => {
  test('plain text: only the endpoint', () => {
    const env = synthCluster().cluster.connectionEnv();
    expect(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.value]))).toEqual({ ETCDCTL_ENDPOINTS: 'http://etcd.etcd.svc.cluster.local:2379' });
  });

  test('client certificates: where the mounted credentials are', () => {
    const { cluster } = synthCluster({ tls: { client: TlsSource.certManager(), clientCertAuth: true, certManager: { selfSignedCa: true } } });
    const env = cluster.connectionEnv({ credentialsPath: '/creds/' });
    expect(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.value]))).toEqual({
      ETCDCTL_ENDPOINTS: 'https://etcd.etcd.svc.cluster.local:2379',
      ETCDCTL_CACERT: '/creds/ca.crt',
      ETCDCTL_CERT: '/creds/tls.crt',
      ETCDCTL_KEY: '/creds/tls.key',
    });
    expect(() => cluster.connectionEnv({ credentialsPath: 'relative' })).toThrow(/`connectionEnv.credentialsPath` must be an absolute path/);
  });

  test('auto TLS: verification is skipped, as it must be', () => {
    const env = synthCluster({ tls: { client: TlsSource.auto() } }).cluster.connectionEnv();
    expect(env.ETCDCTL_INSECURE_SKIP_TLS_VERIFY.value).toBe('true');
  });
});
