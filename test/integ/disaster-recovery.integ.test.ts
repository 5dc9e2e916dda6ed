/**
 * Snapshots, automatic recovery, start from a snapshot and defragmentation against real etcd.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Manifest, synthCluster } from '../util';
import { NAMESPACE, allReady, clientUrl, etcdctl, eventually, localGet, members, sandbox, synth } from './cluster';
import { Sandbox } from './runner';

jest.setTimeout(240_000);

const KEYS = 1000;
const KEEP = 2;
const three = members(3).map(m => clientUrl(m));

/** `etcdctl txn` input that puts `count` keys `<prefix>/<n>`. */
function puts(prefix: string, from: number, count: number, value: string): string {
  // No comparisons (the first, empty paragraph), then the puts, then no failure ops.
  return `\n${Array.from({ length: count }, (_, i) => `put ${prefix}/${String(from + i).padStart(5, '0')} "${value}"`).join('\n')}\n\n\n`;
}

async function write(sb: Sandbox, prefix: string, total: number, value = 'v'): Promise<void> {
  // In batches of 100 puts per transaction (etcd's default --max-txn-ops is 128).
  for (let from = 0; from < total; from += 100) {
    const r = await sb.exec(['etcdctl', `--endpoints=${three.join(',')}`, 'txn'], { input: puts(prefix, from, Math.min(100, total - from), value) });
    if (r.code !== 0) {
      throw new Error(`txn failed: ${r.stderr}`);
    }
  }
}

async function countKeys(sb: Sandbox, endpoints: string[], prefix: string): Promise<number> {
  return Number((await etcdctl(sb, endpoints, ['get', `${prefix}/`, '--prefix', '--count-only', '-w', 'fields'])).match(/"Count" : (\d+)/)![1]);
}

function snapshots(sb: Sandbox, claim: string): string[] {
  return fs.readdirSync(path.join(sb.dir, 'claims', claim)).filter(f => /^snapshot-\d{8}T\d{6}Z\.db$/.test(f)).sort();
}

describe('disaster recovery', () => {
  let sb: Sandbox;
  let manifests: Manifest[];

  beforeAll(async () => {
    manifests = synth({ disasterRecovery: { snapshotsToKeep: KEEP }, defrag: { minFragmentationPercent: 20 } });
    sb = await sandbox();
    sb.apply(manifests);
    await allReady(await sb.startStatefulSet('etcd'));
    await write(sb, 'dr', KEYS);
  });
  afterAll(async () => sb?.close());

  test('the snapshot Job saves a snapshot that etcdutl can read, and keeps only the newest', async () => {
    const first = await sb.runCronJob('etcd-snapshot');
    expect(first.succeeded).toBe(true);
    const files = snapshots(sb, 'etcd-snapshots');
    expect(files).toHaveLength(1);
    const status = await sb.exec(['etcdutl', 'snapshot', 'status', path.join(sb.dir, 'claims', 'etcd-snapshots', files[0]), '-w', 'json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).totalKey).toBeGreaterThanOrEqual(KEYS);
    // KEEP + 2 runs, at least a second apart (snapshots are named by the second): only KEEP remain.
    for (let i = 0; i < KEEP + 1; i++) {
      await new Promise(r => setTimeout(r, 1100));
      expect((await sb.runCronJob('etcd-snapshot')).succeeded).toBe(true);
    }
    const kept = snapshots(sb, 'etcd-snapshots');
    expect(kept).toHaveLength(KEEP);
    expect(kept).not.toContain(files[0]);
    expect(fs.readdirSync(path.join(sb.dir, 'claims', 'etcd-snapshots')).filter(f => f.endsWith('.part'))).toEqual([]);
  });

  test('a lost cluster (every member and volume gone) comes back from the newest snapshot with all its keys', async () => {
    const newest = snapshots(sb, 'etcd-snapshots').at(-1)!;
    for (const m of members(3)) {
      await sb.deletePod(m, { deleteVolumes: true });
    }
    const pods = await sb.startStatefulSet('etcd');
    console.log(`disaster recovery: pod start to all-ready ${(await allReady(pods)).toFixed(1)}s`);
    for (const pod of pods) {
      expect(pod.logs('etcd')).toContain(`restoring /snapshots/${newest}`);
    }
    expect(await countKeys(sb, three, 'dr')).toBe(KEYS);
    for (const m of members(3)) {
      expect(await localGet(sb, m, 'dr/00999')).toBe('v');
    }
    // Revisions were bumped so watchers never see them go backwards.
    const revision = Number((await etcdctl(sb, three, ['get', 'dr/00000', '-w', 'fields'])).match(/"Revision" : (\d+)/)![1]);
    expect(revision).toBeGreaterThan(1_000_000_000);
  });

  test('a second cluster started from that snapshot file has the keys', async () => {
    const file = snapshots(sb, 'etcd-snapshots').at(-1)!;
    const other = synthCluster({ name: 'etcd2', startFromSnapshot: { claimName: 'etcd-snapshots', fileName: file } }, NAMESPACE).manifests;
    sb.apply([...manifests, ...other]);
    const pods = await sb.startStatefulSet('etcd2');
    await allReady(pods);
    const endpoints = members(3).map(m => `http://${m.replace('etcd', 'etcd2')}.etcd2-headless.${NAMESPACE}.svc.cluster.local:2379`);
    expect(await countKeys(sb, endpoints, 'dr')).toBe(KEYS);
    expect(pods[0].logs('etcd')).toContain(`restoring /init-snapshot/${file}`);
  });

  test('defragmentation shrinks every member\'s database and keeps the cluster healthy', async () => {
    // Fragment: write about 3 MB, delete it, compact.
    await write(sb, 'bulk', 3000, 'x'.repeat(1024));
    await etcdctl(sb, three, ['del', 'bulk/', '--prefix']);
    const rev = (await etcdctl(sb, three, ['get', 'dr/00000', '-w', 'fields'])).match(/"Revision" : (\d+)/)![1];
    await etcdctl(sb, three, ['compact', rev, '--physical']);
    const sizes = async () => {
      const out = await etcdctl(sb, three, ['endpoint', 'status', '-w', 'json']);
      return Object.fromEntries((JSON.parse(out) as { Endpoint: string; Status: { dbSize: number } }[]).map(s => [s.Endpoint, s.Status.dbSize]));
    };
    const before = await sizes();
    const job = await sb.runCronJob('etcd-defrag');
    expect(job.succeeded).toBe(true);
    expect(job.logs.match(/defragmenting /g)).toHaveLength(3);
    // The leader goes last.
    expect(job.logs.split('\n').filter(l => l.includes('defragmenting ')).at(-1)).toContain('(leader)');
    const after = await sizes();
    for (const ep of Object.keys(before)) {
      expect(after[ep]).toBeLessThan(before[ep]);
    }
    await eventually('all members healthy', async () =>
      (await etcdctl(sb, three, ['endpoint', 'health'])).split('\n').filter(l => l.includes('is healthy')).length === 3);
    expect(await countKeys(sb, three, 'dr')).toBe(KEYS);
    // Below the threshold now: a second run skips every member.
    const again = await sb.runCronJob('etcd-defrag');
    expect(again.succeeded).toBe(true);
    expect(again.logs.match(/skipping /g)).toHaveLength(3);
  });
});
