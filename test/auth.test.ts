import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AuthTokenType, EtcdClusterProps, JwtSignMethod, TlsSource } from '../src';
import { validateAll } from './schema';
import { container, envOf, find, findAll, forSnapshot, Manifest, memberPod, synthCluster } from './util';

const chart = Testing.chart();
const pw = { secret: kplus.Secret.fromSecretName(chart, 'pw', 'etcd-root'), key: 'password' };
const jwt = { secret: kplus.Secret.fromSecretName(chart, 'jwt', 'etcd-jwt'), key: 'key.pem' };

function expectInvalid(props: EtcdClusterProps, message: RegExp) {
  expect(() => synthCluster(props)).toThrow(message);
}

const jobOf = (manifests: Manifest[]) => container(findAll(manifests, 'Job')[0].spec.template.spec, 'reconcile');

describe('auth: password from a Secret, JWT key from a Secret', () => {
  const { cluster, manifests } = synthCluster({
    auth: { rootPassword: pw, jwtPrivateKey: jwt, jwtSignMethod: JwtSignMethod.ES256, jwtTtl: Duration.minutes(5) },
  });
  const pod = memberPod(manifests);
  const etcd = container(pod, 'etcd');

  test('members use JWT tokens signed with the mounted key', () => {
    expect(envOf(etcd).ETCD_AUTH_TOKEN).toBe('jwt,priv-key=/etc/etcd/jwt/jwt-key.pem,sign-method=ES256,ttl=5m');
    expect(pod.volumes).toContainEqual({ name: 'jwt-key', secret: { secretName: 'etcd-jwt', items: [{ key: 'key.pem', path: 'jwt-key.pem' }], defaultMode: 0o440 } });
    expect(etcd.volumeMounts).toContainEqual({ name: 'jwt-key', mountPath: '/etc/etcd/jwt', readOnly: true });
    expect(cluster.auth.tokenType).toBe(AuthTokenType.JWT);
  });

  test('members and Jobs read the root password from a file', () => {
    for (const [c, podSpec] of [[etcd, pod], [jobOf(manifests), findAll(manifests, 'Job')[0].spec.template.spec]]) {
      expect(envOf(c)).toMatchObject({ ETCDK8S_AUTH: 'password', ETCDK8S_ROOT_PASSWORD_FILE: '/etc/etcd/auth/root-password' });
      expect(podSpec.volumes).toContainEqual({ name: 'auth', secret: { secretName: 'etcd-root', items: [{ key: 'password', path: 'root-password' }], defaultMode: 0o440 } });
      expect(c.volumeMounts).toContainEqual({ name: 'auth', mountPath: '/etc/etcd/auth', readOnly: true });
    }
  });

  test('no Secret is rendered and no password appears anywhere', () => {
    expect(findAll(manifests, 'Secret')).toEqual([]);
    validateAll(manifests);
    expect(forSnapshot(manifests)).toMatchSnapshot();
  });

  test('auth settings change the reconcile Job\'s name', () => {
    const plain = findAll(synthCluster().manifests, 'Job')[0].metadata.name;
    expect(findAll(manifests, 'Job')[0].metadata.name).not.toBe(plain);
  });
});

describe('auth: simple tokens, password as env', () => {
  test('the password comes from a secretKeyRef, never a literal', () => {
    const { manifests } = synthCluster({ auth: { rootPassword: pw, passwordFromEnv: true } });
    const etcd = container(memberPod(manifests), 'etcd');
    expect(envOf(etcd).ETCD_AUTH_TOKEN).toBe('simple');
    expect(etcd.env).toContainEqual({ name: 'ETCDK8S_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'etcd-root', key: 'password' } } });
    expect(envOf(jobOf(manifests)).ETCDK8S_ROOT_PASSWORD_FILE).toBeUndefined();
  });
});

describe('auth: generated on request', () => {
  const { cluster, manifests } = synthCluster({ auth: { generateRootPassword: true, generateJwtKey: true } });

  test('renders the generated Secrets, referenced by the pods', () => {
    const password = find(manifests, 'Secret', 'etcd-auth');
    expect(password.stringData['root-password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const key = find(manifests, 'Secret', 'etcd-jwt');
    expect(key.stringData['jwt-key.pem']).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(cluster.auth.generatedPasswordSecret?.name).toBe('etcd-auth');
    const pod = find(manifests, 'StatefulSet', 'etcd').spec.template;
    expect(pod.spec.volumes).toContainEqual(expect.objectContaining({ name: 'jwt-key', secret: expect.objectContaining({ secretName: 'etcd-jwt' }) }));
    // members restart when the key changes
    expect(pod.metadata.annotations['cdk8s-etcd/jwt-key-checksum']).toMatch(/^[0-9a-f]{16}$/);
  });

  test.each([JwtSignMethod.RS256, JwtSignMethod.PS384, JwtSignMethod.ES384, JwtSignMethod.ES512, JwtSignMethod.EDDSA])('a key is generated for %p', method => {
    const { manifests: m } = synthCluster({ auth: { generateRootPassword: true, generateJwtKey: true, jwtSignMethod: method } });
    expect(find(m, 'Secret', 'etcd-jwt').stringData['jwt-key.pem']).toContain('PRIVATE KEY');
  });
});

describe('auth with client certificates', () => {
  test('root may authenticate by certificate only', () => {
    const { manifests } = synthCluster({
      tls: { client: TlsSource.certManager(), clientCertAuth: true, certManager: { selfSignedCa: true } },
      auth: {},
    });
    expect(envOf(jobOf(manifests))).toMatchObject({ ETCDK8S_AUTH: 'cert', ETCDCTL_CERT: '/etc/etcd/tls/client/tls.crt' });
    expect(envOf(jobOf(manifests)).ETCDK8S_ROOT_PASSWORD_FILE).toBeUndefined();
  });
});

describe('without auth', () => {
  test('nothing about auth is rendered', () => {
    const { cluster, manifests } = synthCluster();
    expect(cluster.auth.enabled).toBe(false);
    const env = envOf(container(memberPod(manifests), 'etcd'));
    expect(env.ETCD_AUTH_TOKEN).toBeUndefined();
    expect(env.ETCDK8S_AUTH).toBeUndefined();
  });
});

describe('auth validation', () => {
  test('a generated password together with a given one is refused', () => {
    expectInvalid({ auth: { rootPassword: pw, generateRootPassword: true } }, /`auth.generateRootPassword` cannot be combined with `auth.rootPassword`/);
  });

  test('a password is needed without certificate auth', () => {
    expectInvalid({ auth: {} }, /`auth.rootPassword` is needed: give a Secret/);
  });

  test('a JWT sign method outside etcd\'s list is refused', () => {
    expect(() => JwtSignMethod.of('RS1024')).toThrow(/`name` "RS1024" is not a JWT sign method etcd supports; use one of RS256/);
    expect(JwtSignMethod.of('ES256').name).toBe('ES256');
  });

  test('a TTL that is not whole seconds is refused', () => {
    expectInvalid({ auth: { rootPassword: pw, jwtPrivateKey: jwt, jwtTtl: Duration.millis(1500) } }, /`auth.jwtTtl` must be a duration of whole seconds/);
    expectInvalid({ auth: { rootPassword: pw, jwtPrivateKey: jwt, jwtTtl: Duration.seconds(0) } }, /`auth.jwtTtl` must be a duration of whole seconds, at least 1 second/);
  });

  test('JWT tokens need a key', () => {
    expectInvalid({ auth: { rootPassword: pw, tokenType: AuthTokenType.JWT } }, /`auth.jwtPrivateKey` is needed for JWT tokens/);
  });

  test('a generated key together with a given one is refused', () => {
    expectInvalid({ auth: { rootPassword: pw, jwtPrivateKey: jwt, generateJwtKey: true } }, /`auth.generateJwtKey` cannot be combined with `auth.jwtPrivateKey`/);
  });

  test('JWT settings with simple tokens are refused, not ignored', () => {
    expectInvalid({ auth: { rootPassword: pw, tokenType: AuthTokenType.SIMPLE, jwtTtl: Duration.minutes(1) } }, /`auth.jwtTtl` only applies to JWT tokens/);
  });

  test('HMAC keys cannot be generated', () => {
    expectInvalid({ auth: { rootPassword: pw, generateJwtKey: true, jwtSignMethod: JwtSignMethod.HS256 } }, /`auth.generateJwtKey` cannot make a key for HS256/);
  });

  test('password as env without a password is refused', () => {
    expect(() => synthCluster({
      tls: { client: TlsSource.certManager(), clientCertAuth: true, certManager: { selfSignedCa: true } },
      auth: { passwordFromEnv: true },
    })).toThrow(/`auth.passwordFromEnv` has no password to pass/);
  });
});
