/**
 * The runtime against real etcd: the synthesized StatefulSet's pods run in the pod runner, and
 * each scenario asserts on data, not only on health.
 */
import { Manifest } from '../util';
import {
  Writer, allReady, clientUrl, etcdctl, eventually, localGet, memberList, members, reconcileJobName, sandbox, serviceUrl, synth,
} from './cluster';
import { Pod, Sandbox } from './runner';

jest.setTimeout(240_000);

const timings: string[] = [];
afterAll(() => {
  // Seconds from the first pod's start until every pod of the scenario was ready.
  console.log(`pod start to all-ready:\n${timings.join('\n')}`);
});

/** The runtime scripts' log lines of a member (not etcd's own JSON lines). */
function runtimeLog(pod: Pod): string {
  return pod.logs('etcd').split('\n').filter(l => !l.startsWith('{')).join('\n');
}

async function voters(sb: Sandbox, endpoints: string[]) {
  const list = await memberList(sb, endpoints);
  return list.filter(m => m.status === 'started' && !m.learner).map(m => m.name).sort();
}

describe('a 3-member cluster from the synthesized YAML', () => {
  let sb: Sandbox;
  let manifests: Manifest[];
  let pods: Pod[];
  const three = members(3).map(m => clientUrl(m));

  beforeAll(async () => {
    sb = await sandbox();
    manifests = synth({ replicas: 3 });
    sb.apply(manifests);
  });
  afterAll(async () => sb?.close());

  test('1. bootstraps: all readiness probes pass, a key written through the client Service is on every member', async () => {
    pods = await sb.startStatefulSet('etcd');
    const seconds = await allReady(pods);
    timings.push(`  bootstrap 3 members: ${seconds.toFixed(1)}s`);
    expect(pods.every(p => p.ready)).toBe(true);

    await etcdctl(sb, serviceUrl(), ['put', 'greeting', 'hello']);
    for (const m of members(3)) {
      expect(await localGet(sb, m, 'greeting')).toBe('hello');
    }
    expect(await voters(sb, three)).toEqual(members(3));
    for (const p of pods) {
      expect(p.logs('etcd')).toContain('no member answers and none holds cluster data: bootstrapping a new cluster');
    }
    // The reconcile Job finds nothing to change.
    const job = await sb.runJob(reconcileJobName(manifests));
    expect(job.succeeded).toBe(true);
    expect(job.logs).toContain('membership matches the desired members: etcd-0 etcd-1 etcd-2');
  });

  test('2. a SIGKILLed member: writes continue, and it rejoins with its data', async () => {
    const before = await memberList(sb, three);
    const victim = sb.pod('etcd-2')!;
    await victim.kill('SIGKILL');
    // The first write may meet the election that follows the leader's death: it is retried.
    await eventually('a write while etcd-2 is down', async () => {
      await etcdctl(sb, [clientUrl('etcd-0'), clientUrl('etcd-1')], ['put', 'while-down', 'written']);
      return true;
    });
    const started = Date.now();
    await eventually('etcd-2 to restart', async () => victim.restarts('etcd') >= 1);
    await victim.waitReady({ timeoutMs: 60_000 });
    timings.push(`  SIGKILLed member ready again: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect(victim.logs('etcd')).toContain('restarting it');
    await eventually('etcd-2 to catch up', async () => (await localGet(sb, 'etcd-2', 'while-down')) === 'written');
    expect(await localGet(sb, 'etcd-2', 'greeting')).toBe('hello');
    // Same member, same id: it restarted, it was not replaced.
    expect(await memberList(sb, three)).toEqual(before);
  });

  test('3. a member whose volume is lost is replaced: new id, 3 healthy members, no key lost', async () => {
    const oldId = (await memberList(sb, three)).find(m => m.name === 'etcd-1')!.id;
    await sb.deletePod('etcd-1', { deleteVolumes: true });
    await etcdctl(sb, clientUrl('etcd-0'), ['put', 'after-loss', 'kept']);
    const replaced = await sb.startStatefulSetPod('etcd', 1);
    timings.push(`  member with a lost volume replaced: ${(await allReady([replaced])).toFixed(1)}s`);
    const logs = replaced.logs('etcd');
    expect(logs).toContain('but its data is gone: removing the stale member');
    expect(logs).toContain('adding this member to the cluster as a learner');
    const list = await memberList(sb, three);
    const etcd1 = list.find(m => m.name === 'etcd-1')!;
    expect(etcd1.id).not.toBe(oldId);
    expect(list).toHaveLength(3);
    expect(await voters(sb, three)).toEqual(members(3));
    for (const key of ['greeting', 'while-down', 'after-loss']) {
      await eventually(`${key} on etcd-1`, async () => (await localGet(sb, 'etcd-1', key)).length > 0);
    }
  });

  test('4. scales 3 -> 5 -> 3 by runtime reconfiguration without losing quorum or an acknowledged write', async () => {
    // 3 -> 5: re-synthesize, apply (the runtime ConfigMap changes; the pod template does not), start the new pods.
    const five = synth({ replicas: 5 });
    expect(five.find(m => m.kind === 'StatefulSet').spec.template).toEqual(manifests.find(m => m.kind === 'StatefulSet').spec.template);
    sb.apply(five);
    const newPods = await Promise.all([3, 4].map(i => sb.startStatefulSetPod('etcd', i)));
    timings.push(`  scale 3 -> 5, new members ready: ${(await allReady(newPods, 180_000)).toFixed(1)}s`);
    const all = members(5).map(m => clientUrl(m));
    const job5 = await sb.runJob(reconcileJobName(five), { timeoutMs: 120_000 });
    expect(job5.succeeded).toBe(true);
    expect(await voters(sb, all)).toEqual(members(5));
    for (const m of ['etcd-3', 'etcd-4']) {
      await eventually(`data on ${m}`, async () => (await localGet(sb, m, 'after-loss')) === 'kept');
    }

    // 5 -> 3 while a writer writes through the members that stay.
    const writer = new Writer(sb, three, 'scale');
    await eventually('the writer to get going', async () => writer.acknowledged.length >= 5);
    const back = synth({ replicas: 3 });
    sb.apply(back);
    await sb.deletePod('etcd-4');
    await sb.deletePod('etcd-3');
    const job3 = await sb.runJob(reconcileJobName(back), { timeoutMs: 120_000 });
    expect(job3.succeeded).toBe(true);
    expect(job3.logs).toMatch(/removing member etcd-[34]/);
    const acknowledgedBefore = writer.acknowledged.length;
    await eventually('more writes after the change', async () => writer.acknowledged.length >= acknowledgedBefore + 5);
    await writer.stop();

    expect(await voters(sb, three)).toEqual(members(3));
    expect((await memberList(sb, three))).toHaveLength(3);
    // Quorum held: writes never stopped for longer than a leader election can take.
    expect(writer.longestOutageMs).toBeLessThan(5_000);
    const stored = new Set((await etcdctl(sb, three, ['get', 'scale/', '--prefix', '--keys-only'])).split('\n').filter(l => l));
    const lost = writer.acknowledged.filter(k => !stored.has(k));
    expect(lost).toEqual([]);
    expect(writer.acknowledged.length).toBeGreaterThan(10);
  });

  test('5. never bootstraps a second cluster while another member holds data: it waits for quorum, then joins', async () => {
    // Quorum lost: two members down, etcd-2 alive with data. Then etcd-1 comes back without its volume.
    await sb.deletePod('etcd-0');
    await sb.deletePod('etcd-1', { deleteVolumes: true });
    const etcd1 = await sb.startStatefulSetPod('etcd', 1);
    await eventually('etcd-1 to notice the data on etcd-2', async () =>
      etcd1.logs('etcd').includes('hold cluster data: waiting for quorum instead of bootstrapping'), 60_000)
      .catch(e => {
        throw new Error(`${e.message}\n--- etcd-1:\n${runtimeLog(etcd1)}\n--- etcd-2:\n${runtimeLog(sb.pod('etcd-2')!)}`);
      });
    expect(etcd1.logs('etcd')).not.toContain('bootstrapping a new cluster');
    expect(etcd1.ready).toBe(false);
    // etcd-0 returns with its data: quorum is back, and etcd-1 joins the existing cluster.
    const etcd0 = await sb.startStatefulSetPod('etcd', 0);
    await allReady([etcd0, etcd1], 120_000);
    expect(etcd1.logs('etcd')).toContain('a healthy cluster answers');
    expect(await voters(sb, three)).toEqual(members(3));
    expect(await localGet(sb, 'etcd-1', 'greeting')).toBe('hello');
    const ids = new Set((await memberList(sb, three)).map(m => m.id));
    expect(ids.size).toBe(3);
  });
});

describe('a 1-member cluster scaled to 3', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(async () => sb?.close());

  test('starts alone, then two learners join one after the other and are promoted', async () => {
    const one = synth({ replicas: 1 });
    sb.apply(one);
    const [first] = await sb.startStatefulSet('etcd');
    timings.push(`  bootstrap 1 member: ${(await allReady([first])).toFixed(1)}s`);
    await etcdctl(sb, serviceUrl(), ['put', 'solo', 'yes']);

    const three = synth({ replicas: 3 });
    sb.apply(three);
    const joined = await Promise.all([1, 2].map(i => sb.startStatefulSetPod('etcd', i)));
    timings.push(`  scale 1 -> 3, new members ready: ${(await allReady(joined, 180_000)).toFixed(1)}s`);
    const job = await sb.runJob(reconcileJobName(three), { timeoutMs: 120_000 });
    expect(job.succeeded).toBe(true);
    const endpoints = members(3).map(m => clientUrl(m));
    expect(await voters(sb, endpoints)).toEqual(members(3));
    for (const m of members(3)) {
      await eventually(`solo on ${m}`, async () => (await localGet(sb, m, 'solo')) === 'yes');
    }
    // A second run of the Job changes nothing.
    const again = await sb.runJob(reconcileJobName(three));
    expect(again.succeeded).toBe(true);
    expect(again.logs).not.toContain('removing member');
  });
});
