/**
 * RBAC against real etcd: the reconcile Job creates root and enables auth; anonymous clients are
 * refused from then on, root is accepted, with JWT tokens signed by a key from a Secret.
 */
import * as crypto from 'crypto';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { JwtSignMethod } from '../../src';
import { container, envOf, find, Manifest } from '../util';
import { allReady, clientUrl, etcdctl, etcdctlResult, eventually, members, reconcileJobName, sandbox, serviceUrl, synth } from './cluster';
import { Sandbox } from './runner';

jest.setTimeout(180_000);

const PASSWORD = crypto.randomBytes(12).toString('hex');
const chart = Testing.chart();

describe('auth with a root password and JWT tokens', () => {
  let sb: Sandbox;
  let manifests: Manifest[];
  const root = ['--user=root', `--password=${PASSWORD}`];
  const endpoints = members(3).map(m => clientUrl(m));

  beforeAll(async () => {
    manifests = synth({
      auth: {
        rootPassword: { secret: kplus.Secret.fromSecretName(chart, 'pw', 'etcd-root'), key: 'password' },
        jwtPrivateKey: { secret: kplus.Secret.fromSecretName(chart, 'jwt', 'etcd-jwt'), key: 'key.pem' },
        jwtSignMethod: JwtSignMethod.ES256,
      },
    });
    const key = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    sb = await sandbox({ secrets: { 'etcd-root': { password: PASSWORD }, 'etcd-jwt': { 'key.pem': key } } });
    sb.apply(manifests);
    await allReady(await sb.startStatefulSet('etcd'));
  });
  afterAll(async () => sb?.close());

  test('the synthesized YAML never contains the password', () => {
    expect(JSON.stringify(manifests)).not.toContain(PASSWORD);
    expect(envOf(container(find(manifests, 'StatefulSet', 'etcd').spec.template.spec, 'etcd')).ETCD_AUTH_TOKEN).toMatch(/^jwt,/);
  });

  test('before the Job, the cluster is open; the Job creates root and enables auth', async () => {
    await etcdctl(sb, serviceUrl(), ['put', 'before-auth', 'open']);
    const job = await sb.runJob(reconcileJobName(manifests));
    expect(job.succeeded).toBe(true);
    expect(job.logs).toContain('creating user root with the configured password');
    expect(job.logs).toContain('auth enabled: anonymous requests are refused from now on');
  });

  test('anonymous reads and writes are refused, root is accepted with a JWT token', async () => {
    const read = await etcdctlResult(sb, endpoints, ['get', 'before-auth']);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toMatch(/user name is empty|permission denied/);
    const write = await etcdctlResult(sb, endpoints, ['put', 'anonymous', 'no']);
    expect(write.code).not.toBe(0);
    await etcdctl(sb, endpoints, ['put', 'as-root', 'yes'], root);
    expect((await etcdctl(sb, endpoints, ['get', 'before-auth', '--print-value-only'], root)).trim()).toBe('open');
    // Tokens are JWTs: a token from one member is accepted by every other (simple tokens are not).
    expect((await etcdctl(sb, endpoints, ['auth', 'status'], root))).toContain('Authentication Status: true');
    const wrong = await etcdctlResult(sb, endpoints, ['get', 'as-root'], ['--user=root', '--password=wrong']);
    expect(wrong.code).not.toBe(0);
  });

  test('a non-root user gets only what its role grants', async () => {
    await etcdctl(sb, endpoints, ['role', 'add', 'reader'], root);
    await etcdctl(sb, endpoints, ['role', 'grant-permission', 'reader', 'read', 'as-', '--prefix'], root);
    await etcdctl(sb, endpoints, ['user', 'add', 'app', '--new-user-password=app-pw', '--interactive=false'], root);
    await etcdctl(sb, endpoints, ['user', 'grant-role', 'app', 'reader'], root);
    const app = ['--user=app', '--password=app-pw'];
    expect((await etcdctl(sb, endpoints, ['get', 'as-root', '--print-value-only'], app)).trim()).toBe('yes');
    expect((await etcdctlResult(sb, endpoints, ['put', 'as-root', 'no'], app)).stderr).toContain('permission denied');
  });

  test('a restarted member still enforces auth and rejoins with the credentials', async () => {
    const pod = sb.pod('etcd-1')!;
    await pod.kill('SIGKILL');
    await eventually('etcd-1 to restart', async () => pod.restarts('etcd') >= 1);
    await pod.waitReady({ timeoutMs: 60_000 });
    const anonymous = await etcdctlResult(sb, clientUrl('etcd-1'), ['get', 'as-root', '--consistency=s']);
    expect(anonymous.code).not.toBe(0);
    expect((await etcdctl(sb, clientUrl('etcd-1'), ['get', 'as-root', '--consistency=s', '--print-value-only'], root)).trim()).toBe('yes');
  });

  test('a second run of the Job changes nothing', async () => {
    const job = await sb.runJob(reconcileJobName(manifests));
    expect(job.succeeded).toBe(true);
    expect(job.logs).toContain('auth is enabled and root\'s credentials work: nothing to do');
    expect(job.logs).not.toContain('creating user root');
  });

  test('a member that lost its volume rejoins with root\'s credentials', async () => {
    await sb.deletePod('etcd-2', { deleteVolumes: true });
    const pod = await sb.startStatefulSetPod('etcd', 2);
    await pod.waitReady({ timeoutMs: 90_000 });
    expect(pod.logs('etcd')).toContain('adding this member to the cluster as a learner');
    await eventually('data on the new etcd-2', async () =>
      (await etcdctl(sb, clientUrl('etcd-2'), ['get', 'as-root', '--consistency=s', '--print-value-only'], root)).trim() === 'yes');
  });
});
