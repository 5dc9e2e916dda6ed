// The runner's own tests, on hand-written manifests: a 3-member etcd StatefulSet
// with a headless and a client Service, a ConfigMap and a Secret, Jobs, and a
// busybox StatefulSet for claim lifecycle.
import * as fs from 'fs';
import * as path from 'path';
import { expand, KubeObject, Pod, Sandbox } from './runner';

const ETCD_IMAGE = 'gcr.io/etcd-development/etcd:v3.6.14';
const BUSYBOX_IMAGE = 'docker.io/library/busybox:1.36';
const labels = { 'app.kubernetes.io/name': 'etcd' };
const members = [0, 1, 2].map((i) => `etcd-${i}`);
const fqdn = (pod: string) => `${pod}.etcd.default.svc.cluster.local`;
const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

const etcd = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'etcd' },
  spec: {
    replicas: 3,
    serviceName: 'etcd',
    podManagementPolicy: 'Parallel',
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        securityContext: { runAsUser: 1001, runAsGroup: 1001, runAsNonRoot: true },
        terminationGracePeriodSeconds: 10,
        initContainers: [{
          name: 'prepare',
          image: BUSYBOX_IMAGE,
          command: ['sh', '-c', 'echo "prepared for $(POD_NAME) as $(id -u)" > /work/init.txt'],
          env: [fieldEnv('POD_NAME', 'metadata.name')],
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        }],
        containers: [
          {
            name: 'etcd',
            image: ETCD_IMAGE,
            command: ['etcd'],
            ports: [{ name: 'client', containerPort: 2379 }, { name: 'peer', containerPort: 2380 }, { name: 'metrics', containerPort: 2381 }],
            env: [
              fieldEnv('POD_NAME', 'metadata.name'),
              fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
              { name: 'ETCD_NAME', value: '$(POD_NAME)' },
              { name: 'ETCD_DATA_DIR', value: '/var/lib/etcd/data' },
              { name: 'ETCD_INITIAL_CLUSTER', value: members.map((m) => `${m}=http://${fqdn(m)}:2380`).join(',') },
              { name: 'ETCD_INITIAL_CLUSTER_STATE', value: 'new' },
              { name: 'ETCD_INITIAL_CLUSTER_TOKEN', value: 'runner-self-test' },
              { name: 'ETCD_LISTEN_PEER_URLS', value: 'http://0.0.0.0:2380' },
              { name: 'ETCD_LISTEN_CLIENT_URLS', value: 'http://0.0.0.0:2379' },
              { name: 'ETCD_LISTEN_METRICS_URLS', value: 'http://0.0.0.0:2381' },
              { name: 'ETCD_INITIAL_ADVERTISE_PEER_URLS', value: 'http://$(POD_NAME).etcd.$(POD_NAMESPACE).svc.cluster.local:2380' },
              { name: 'ETCD_ADVERTISE_CLIENT_URLS', value: 'http://$(POD_NAME).etcd.$(POD_NAMESPACE).svc.cluster.local:2379' },
            ],
            volumeMounts: [
              { name: 'data', mountPath: '/var/lib/etcd' },
              { name: 'work', mountPath: '/work', readOnly: true },
            ],
            startupProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 1, failureThreshold: 60 },
            readinessProbe: { httpGet: { path: '/readyz', port: 2381 }, periodSeconds: 2 },
            livenessProbe: { httpGet: { path: '/livez', port: 2381 }, periodSeconds: 5 },
            securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
          },
          {
            // The etcd image has no shell: this container shows what the pod's volumes hold.
            name: 'shell',
            image: BUSYBOX_IMAGE,
            // A shell as pid 1 ignores SIGTERM unless it traps it.
            command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
            volumeMounts: [
              { name: 'work', mountPath: '/work' },
              { name: 'config', mountPath: '/etc/demo/config' },
              { name: 'config', mountPath: '/etc/demo/motd', subPath: 'motd' },
              { name: 'secret', mountPath: '/etc/demo/secret' },
              { name: 'data', mountPath: '/data', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'work', emptyDir: {} },
          { name: 'config', configMap: { name: 'demo-config' } },
          { name: 'secret', secret: { secretName: 'demo-secret', items: [{ key: 'token', path: 'auth/token', mode: 0o440 }] } },
        ],
      },
    },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
};

const services = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'etcd' },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels, ports: [{ name: 'peer', port: 2380 }] },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'etcd-client' }, spec: { selector: labels, ports: [{ name: 'client', port: 2379 }] } },
];

const configMap = (motd: string) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo-config' }, data: { 'motd': motd, 'settings.yaml': 'level: 3\n' },
});
const secret = {
  apiVersion: 'v1', kind: 'Secret', metadata: { name: 'demo-secret' }, data: { token: Buffer.from('s3cret').toString('base64') },
};

const job = (name: string, container: object, extra: object = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { backoffLimit: 2, ...extra, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', ...container }] } } },
});

const jobs = [
  job('put-from-job', { image: ETCD_IMAGE, command: ['etcdctl', '--endpoints=http://etcd-client:2379', 'put', 'from-job', 'hello'] }),
  job('print-env', {
    image: BUSYBOX_IMAGE,
    command: ['sh', '-c', 'echo "uid=$(id -u) gid=$(id -g) args=$0,$1"; touch /probe 2>/dev/null && echo root=rw || echo root=ro; env'],
    args: ['$(GREETING)', '$$(GREETING)'],
    securityContext: { runAsUser: 1001, runAsGroup: 2002, readOnlyRootFilesystem: true },
    envFrom: [{ configMapRef: { name: 'demo-config' }, prefix: 'CFG_' }],
    env: [
      { name: 'EARLY', value: '[$(GREETING)]' },
      { name: 'GREETING', value: 'hello' },
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_IP', 'status.podIP'),
      fieldEnv('NODE', 'spec.nodeName'),
      { name: 'COMPOSED', value: '$(GREETING)-$(POD_NAME)' },
      { name: 'ESCAPED', value: '$$(GREETING)' },
      { name: 'UNDEFINED', value: '$(NOT_DEFINED)' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'demo-secret', key: 'token' } } },
      { name: 'SUPPLIED', valueFrom: { secretKeyRef: { name: 'supplied-secret', key: 'password' } } },
      { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'absent-secret', key: 'x', optional: true } } },
    ],
  }),
  job('always-fails', { image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo attempt; exit 3'] }, { backoffLimit: 1 }),
  job('unmapped-image', { image: 'nginx:1.27' }),
  job('missing-secret', { image: BUSYBOX_IMAGE, envFrom: [{ secretRef: { name: 'nowhere' } }] }),
  job('non-root', { image: BUSYBOX_IMAGE, securityContext: { runAsNonRoot: true } }),
];

const backup = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'backup' },
  spec: {
    schedule: '0 * * * *',
    jobTemplate: {
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'OnFailure',
            containers: [{
              name: 'snapshot',
              image: ETCD_IMAGE,
              command: ['etcdctl', '--endpoints=http://etcd-client:2379', 'snapshot', 'save', '/backup/snapshot.db'],
              volumeMounts: [{ name: 'backup', mountPath: '/backup' }],
            }],
            volumes: [{ name: 'backup', persistentVolumeClaim: { claimName: 'backups' } }],
          },
        },
      },
    },
  },
};

// A one-replica busybox StatefulSet that reports whether its claim was fresh.
const scratch = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'scratch' },
  spec: {
    replicas: 1,
    serviceName: 'scratch',
    selector: { matchLabels: { app: 'scratch' } },
    template: {
      metadata: { labels: { app: 'scratch' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'main',
          image: BUSYBOX_IMAGE,
          command: ['sh', '-c', 'trap "exit 0" TERM; [ -f /data/marker ] && echo found || echo fresh; date > /data/marker; sleep 3600 & wait'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          lifecycle: {
            postStart: { exec: { command: ['sh', '-c', 'echo started > /data/post-start'] } },
            preStop: { exec: { command: ['sh', '-c', 'echo stopping > /data/pre-stop'] } },
          },
        }],
      },
    },
    volumeClaimTemplates: [{ metadata: { name: 'data' } }],
  },
};

const objects = (motd: string): KubeObject[] => [etcd, scratch, ...services, configMap(motd), secret, ...jobs, backup];

async function eventually<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await f();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pids of every process below `pid`, with their command names. */
function descendants(pid: number): Map<number, string> {
  const parents = new Map<number, { ppid: number; comm: string }>();
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      parents.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) });
    } catch {
      // Exited while we looked.
    }
  }
  const found = new Map<number, string>();
  const isBelow = (p: number): boolean => {
    for (let q = parents.get(p)?.ppid; q !== undefined && q > 0; q = parents.get(q)?.ppid) if (q === pid) return true;
    return false;
  };
  for (const [p, { comm }] of parents) if (isBelow(p)) found.set(p, comm);
  return found;
}

describe('expand', () => {
  const vars: Record<string, string> = { A: 'a', EMPTY: '' };
  test.each([
    ['$(A)-$(EMPTY)-$(B)', 'a--$(B)'],
    ['$$(A) $$A $$ $A', '$(A) $A $ $A'],
    ['unclosed $(A', 'unclosed $(A'],
    ['trailing $', 'trailing $'],
  ])('%s', (input, expected) => {
    expect(expand(input, (n) => vars[n])).toBe(expected);
  });
});

describe('runner', () => {
  let sb: Sandbox;
  let pods: Pod[];
  const etcdctl = (endpoint: string, ...args: string[]) => sb.exec(['etcdctl', `--endpoints=http://${endpoint}:2379`, '--command-timeout=3s', ...args]);

  beforeAll(async () => {
    sb = await Sandbox.create({ probeTimeScale: 0.2, secrets: { 'supplied-secret': { password: 'from-the-test' } } });
    sb.apply(objects('first'));
    pods = await sb.startStatefulSet('etcd');
  }, 60_000);

  afterAll(async () => {
    await sb?.close();
  });

  test('the three members become ready', async () => {
    await Promise.all(pods.map((p) => p.waitReady({ timeoutMs: 30_000 })));
    expect(pods.map((p) => p.name)).toEqual(members);
    expect(new Set(pods.map((p) => p.ip)).size).toBe(3);
    for (const p of pods) expect(p.readyAt!.getTime()).toBeGreaterThanOrEqual(p.startedAt!.getTime());
  }, 40_000);

  test('a value written through the client Service is read back from every member', async () => {
    const put = await etcdctl('etcd-client', 'put', 'greeting', 'hello');
    expect(put).toMatchObject({ code: 0, stdout: 'OK\n' });
    for (const m of members) {
      // Serializable: answered from that member's own data.
      const value = await eventually(`greeting on ${m}`, async () => {
        const r = await etcdctl(fqdn(m), 'get', 'greeting', '--print-value-only', '--consistency=s');
        return r.stdout === 'hello\n' ? r.stdout : undefined;
      });
      expect(value).toBe('hello\n');
    }
  });

  test('volumes: emptyDir from the init container, ConfigMap (with subPath), Secret items and modes, the claim', async () => {
    const r = await pods[1].exec(['sh', '-c', [
      'cat /work/init.txt /etc/demo/config/motd /etc/demo/motd /etc/demo/secret/auth/token; echo',
      'stat -L -c %a /etc/demo/secret/auth/token',
      'ls /data/data/member',
      'id -u',
    ].join('; ')], { container: 'shell' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['prepared for etcd-1 as 1001', 'firstfirsts3cret', '440', 'snap', 'wal', '1001', '']);
    // The etcd image has no shell, as upstream's distroless one.
    const noShell = await pods[1].exec(['sh', '-c', 'true'], { container: 'etcd' });
    expect(noShell.code).not.toBe(0);
  });

  test('apply() refreshes ConfigMap volumes in running pods, but not subPath mounts', async () => {
    sb.apply(objects('second'));
    const r = await pods[0].exec(['sh', '-c', 'cat /etc/demo/config/motd; echo; cat /etc/demo/motd'], { container: 'shell' });
    expect(r.stdout).toBe('second\nfirst');
  });

  test('a Job runs etcdctl against the client Service', async () => {
    const result = await sb.runJob('put-from-job');
    expect(result).toMatchObject({ succeeded: true, attempts: 1, logs: 'OK\n' });
    const r = await etcdctl('etcd-client', 'get', 'from-job', '--print-value-only');
    expect(r.stdout).toBe('hello\n');
  });

  test('env: $(VAR) expansion, escapes, fieldRef, secretKeyRef, envFrom, runAsUser, read-only root', async () => {
    const { succeeded, logs, podName } = await sb.runJob('print-env');
    expect(succeeded).toBe(true);
    const lines = logs.split('\n');
    const env = Object.fromEntries(lines.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(lines[0]).toBe('uid=1001 gid=2002 args=hello,$(GREETING)');
    expect(env).toMatchObject({
      root: 'ro',
      EARLY: '[$(GREETING)]',
      GREETING: 'hello',
      POD_NAME: podName,
      NODE: 'node-1',
      COMPOSED: `hello-${podName}`,
      ESCAPED: '$(GREETING)',
      UNDEFINED: '$(NOT_DEFINED)',
      TOKEN: 's3cret',
      SUPPLIED: 'from-the-test',
      CFG_motd: 'second',
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    });
    expect(env.POD_IP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(env).not.toHaveProperty('OPTIONAL');
    expect(env).not.toHaveProperty('HOME');
  });

  test('a failing Job is retried backoffLimit times', async () => {
    const result = await sb.runJob('always-fails');
    expect(result).toMatchObject({ succeeded: false, attempts: 2, logs: 'attempt\n' });
  });

  test('pods Kubernetes would not start fail loudly', async () => {
    await expect(sb.runJob('unmapped-image')).rejects.toThrow(/image nginx:1.27 is not mapped/);
    await expect(sb.runJob('missing-secret')).rejects.toThrow(/Secret "nowhere" is neither among the applied objects nor supplied/);
    await expect(sb.runJob('non-root')).rejects.toThrow(/runAsNonRoot but would run as root/);
  });

  test('a CronJob saves a snapshot to a claim', async () => {
    const result = await sb.runCronJob('backup');
    expect(result).toMatchObject({ succeeded: true, attempts: 1 });
    expect(result.logs).toContain('Snapshot saved at /backup/snapshot.db');
    const status = await sb.exec(['etcdutl', 'snapshot', 'status', path.join(sb.dir, 'claims', 'backups', 'snapshot.db')]);
    expect(status).toMatchObject({ code: 0, stderr: '' });
  });

  test('a SIGKILLed member is restarted and becomes ready with its data', async () => {
    const member = pods[1];
    await member.kill('SIGKILL', { container: 'etcd' });
    expect(member.ready).toBe(false);
    await member.waitReady({ timeoutMs: 20_000 });
    expect(member.restarts('etcd')).toBe(1);
    const r = await etcdctl(fqdn('etcd-1'), 'get', 'greeting', '--print-value-only', '--consistency=s');
    expect(r.stdout).toBe('hello\n');
  }, 30_000);

  test('a stopped and restarted member keeps its claim', async () => {
    await pods[2].stop();
    expect(sb.pod('etcd-2')).toBeUndefined();
    await etcdctl('etcd-client', 'put', 'while-away', 'yes');
    pods[2] = await sb.startStatefulSetPod('etcd', 2);
    await pods[2].waitReady({ timeoutMs: 20_000 });
    const r = await eventually('while-away on etcd-2', async () => {
      const got = await etcdctl(fqdn('etcd-2'), 'get', 'while-away', '--print-value-only', '--consistency=s');
      return got.stdout === 'yes\n' ? got.stdout : undefined;
    });
    expect(r).toBe('yes\n');
  }, 40_000);

  test('deletePod with deleteVolumes gives a fresh claim; lifecycle hooks run', async () => {
    const claim = path.join(sb.dir, 'claims', 'data-scratch-0');
    const firstLine = async () => {
      const pod = await sb.startStatefulSetPod('scratch', 0);
      const line = await eventually('scratch output', async () => pod.logs().split('\n')[0] || undefined);
      await pod.stop();
      return line;
    };
    expect(await firstLine()).toBe('fresh');
    expect(fs.readFileSync(path.join(claim, 'post-start'), 'utf8')).toBe('started\n');
    expect(fs.readFileSync(path.join(claim, 'pre-stop'), 'utf8')).toBe('stopping\n');
    expect(await firstLine()).toBe('found');
    await sb.deletePod('scratch-0', { deleteVolumes: true });
    expect(await firstLine()).toBe('fresh');
  }, 30_000);

  test('close() leaves no process behind', async () => {
    const before = descendants(process.pid);
    expect([...before.values()]).toEqual(expect.arrayContaining(['etcd', 'bwrap', 'sleep']));
    const dir = sb.dir;
    await sb.close();
    const left = [...before.keys()].filter((pid) => fs.existsSync(`/proc/${pid}`));
    expect(left.map((pid) => before.get(pid))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'claims'))).toBe(process.env.KEEP_SANDBOX === '1');
  });
});
