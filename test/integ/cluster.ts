/**
 * Helpers for the real-etcd scenarios: run a synthesized cluster in the pod runner and talk to it
 * with etcdctl from inside the runner's network.
 */
import { EtcdClusterProps } from '../../src';
import { Manifest, synthCluster } from '../util';
import { ExecResult, Pod, Sandbox, SandboxOptions } from './runner';

export const NAMESPACE = 'db';
/** Probe periods of the synthesized pods, scaled down so scenarios run in seconds. */
export const PROBE_TIME_SCALE = 0.2;

export function synth(props: EtcdClusterProps = {}): Manifest[] {
  return synthCluster(props, NAMESPACE).manifests;
}

export async function sandbox(options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return Sandbox.create({ namespace: NAMESPACE, probeTimeScale: PROBE_TIME_SCALE, ...options });
}

export const host = (member: string) => `${member}.etcd-headless.${NAMESPACE}.svc.cluster.local`;
export const clientUrl = (member: string, scheme = 'http') => `${scheme}://${host(member)}:2379`;
export const members = (n: number) => Array.from({ length: n }, (_, i) => `etcd-${i}`);
/** The client Service, as an application would reach the cluster. */
export const serviceUrl = (scheme = 'http') => `${scheme}://etcd.${NAMESPACE}.svc.cluster.local:2379`;

/** Runs etcdctl in the runner's network; throws with its output unless it succeeds. */
export async function etcdctl(sb: Sandbox, endpoints: string | string[], args: string[], extra: string[] = []): Promise<string> {
  const r = await etcdctlResult(sb, endpoints, args, extra);
  if (r.code !== 0) {
    throw new Error(`etcdctl ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  }
  return r.stdout;
}

export async function etcdctlResult(sb: Sandbox, endpoints: string | string[], args: string[], extra: string[] = []): Promise<ExecResult> {
  const eps = Array.isArray(endpoints) ? endpoints.join(',') : endpoints;
  return sb.exec(['etcdctl', `--endpoints=${eps}`, '--dial-timeout=3s', '--command-timeout=10s', ...extra, ...args], { timeoutMs: 30_000 });
}

export interface Member {
  readonly id: string;
  readonly status: string;
  readonly name: string;
  readonly peerUrl: string;
  readonly learner: boolean;
}

export async function memberList(sb: Sandbox, endpoints: string | string[], extra: string[] = []): Promise<Member[]> {
  const out = await etcdctl(sb, endpoints, ['member', 'list', '-w', 'simple'], extra);
  return out.trim().split('\n').filter(l => l).map(line => {
    const [id, status, name, peerUrl, , learner] = line.split(', ');
    return { id, status, name, peerUrl, learner: learner === 'true' };
  });
}

/** A serializable (local) read on one member: proves the data is on that member. */
export async function localGet(sb: Sandbox, member: string, key: string, extra: string[] = [], scheme = 'http'): Promise<string> {
  const out = await etcdctl(sb, clientUrl(member, scheme), ['get', key, '--consistency=s', '--print-value-only'], extra);
  return out.trim();
}

/** Waits until every pod is ready; returns the seconds from the first pod's start to the last one's readiness. */
export async function allReady(pods: Pod[], timeoutMs = 120_000): Promise<number> {
  await Promise.all(pods.map(p => p.waitReady({ timeoutMs })));
  const start = Math.min(...pods.map(p => p.startedAt!.getTime()));
  const ready = Math.max(...pods.map(p => p.readyAt!.getTime()));
  return (ready - start) / 1000;
}

/** Polls `check` until it returns true; fails with `what` after the timeout. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) {
        return;
      }
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** The reconcile Job of a synthesized cluster (its name carries a hash). */
export function reconcileJobName(manifests: Manifest[]): string {
  return manifests.find(m => m.kind === 'Job' && m.metadata.name.startsWith('etcd-reconcile-'))!.metadata.name;
}

/**
 * A writer that keeps putting `<prefix>/<n>` through the given endpoints, one write at a time,
 * and remembers which writes etcd acknowledged and the longest stretch without a success.
 */
export class Writer {
  public readonly acknowledged: string[] = [];
  public failures = 0;
  public longestOutageMs = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly sb: Sandbox, private readonly endpoints: string[], private readonly prefix: string, extra: string[] = []) {
    this.done = this.loop(extra);
  }

  public async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(extra: string[]): Promise<void> {
    let n = 0;
    let lastSuccess = Date.now();
    while (this.running) {
      const key = `${this.prefix}/${String(n).padStart(6, '0')}`;
      const r = await etcdctlResult(this.sb, this.endpoints, ['put', key, `${n}`], extra);
      const now = Date.now();
      if (r.code === 0) {
        this.acknowledged.push(key);
        lastSuccess = now;
      } else {
        this.failures++;
        this.longestOutageMs = Math.max(this.longestOutageMs, now - lastSuccess);
      }
      n++;
    }
  }
}
