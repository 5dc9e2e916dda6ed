import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AgentClient } from './agent-client';
import { ensureBinaries } from './binaries';
import { ExecResult, Runtime } from './container';
import { DEFAULT_PATH } from './env';
import { clusterHosts, podHosts, ServiceRef } from './hosts';
import { defaultImages, ImageMapping, sharedLibraryDirs } from './images';
import { CronJob, Job, JobSpec, KubeObject, ObjectStore, PodSpec, PodTemplate, Service, StatefulSet } from './manifest';
import { InitContainerError, Pod, PodContext, WaitOptions } from './pod';

export interface SandboxOptions {
  /** The namespace objects without one are in, and the only one the runner looks at. @default 'default' */
  readonly namespace?: string;
  /** @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Secrets that exist in the cluster but not among the applied objects: `{ name: { key: value } }`. */
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Multiplies every probe's `initialDelaySeconds` and `periodSeconds` (not its
   * `timeoutSeconds`), so tests need not wait real kubelet periods. @default 1
   */
  readonly probeTimeScale?: number;
  /** Where container logs go (kept after close). @default a directory inside the sandbox */
  readonly logDir?: string;
  /** More images, tried before the built-in etcd and busybox ones. */
  readonly imageMap?: readonly ImageMapping[];
  /** Limit for init containers and sidecar startup. @default 120000 */
  readonly startTimeoutMs?: number;
}

export interface DeletePodOptions {
  /** Also delete the pod's volumeClaimTemplate claims, as deleting its PVCs would. */
  readonly deleteVolumes?: boolean;
}

export interface RunJobOptions {
  /** For the whole Job, all attempts. `activeDeadlineSeconds` applies when shorter. @default 120000 */
  readonly timeoutMs?: number;
}

export interface JobResult {
  readonly succeeded: boolean;
  /** Pods run: 1 + retries, at most 1 + `backoffLimit`. */
  readonly attempts: number;
  /** Every container's log of the last attempt, init containers first. */
  readonly logs: string;
  /** The last attempt's pod name. */
  readonly podName: string;
}

export interface SandboxExecOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** @default 30000 */
  readonly timeoutMs?: number;
  readonly input?: string;
}

const BRIDGE_IP = '10.244.0.1';
const PREFIX_LENGTH = 16;
const FIRST_POD_HOST = 2;

/**
 * A one-node stand-in for a Kubernetes cluster that runs synthesized objects as
 * local processes. See README.md.
 */
export class Sandbox {
  public static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    const binDir = ensureBinaries();
    const nsenter = which('nsenter');
    for (const tool of ['ip', 'unshare', 'mount']) which(tool);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-etcd-sandbox-'));
    try {
      const hostsFile = path.join(dir, 'hosts');
      fs.writeFileSync(hostsFile, '');
      const env = { PATH: `${DEFAULT_PATH}:${binDir}` };
      const agent = await AgentClient.start(dir, { bridge: `${BRIDGE_IP}/${PREFIX_LENGTH}`, hostsFile }, env);
      const runtime: Runtime = {
        agent,
        nsenter,
        bwrap: path.join(binDir, 'bwrap'),
        libDirs: sharedLibraryDirs(path.join(binDir, 'etcd')),
        probeTimeScale: options.probeTimeScale ?? 1,
      };
      return new Sandbox(options, dir, binDir, runtime, [...options.imageMap ?? [], ...defaultImages(binDir)]);
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  public readonly namespace: string;
  public readonly clusterDomain: string;
  /** The sandbox's directory: claims, pod volumes, hosts files, logs (unless `logDir`). */
  public readonly dir: string;
  public readonly binDir: string;
  private readonly logDir: string;
  private readonly pods = new Map<string, Pod>();
  private readonly ips = new Map<string, string>();
  private readonly incarnations = new Map<string, number>();
  private readonly written = new Map<string, string>();
  private readonly context: PodContext;
  private store: ObjectStore;
  private closed = false;

  private constructor(
    private readonly options: SandboxOptions,
    dir: string,
    binDir: string,
    private readonly runtime: Runtime,
    images: readonly ImageMapping[],
  ) {
    this.namespace = options.namespace ?? 'default';
    this.clusterDomain = options.clusterDomain ?? 'cluster.local';
    this.dir = dir;
    this.binDir = binDir;
    this.logDir = options.logDir ?? path.join(dir, 'logs');
    this.store = new ObjectStore([], this.namespace, options.secrets ?? {});
    this.context = {
      runtime,
      images,
      store: () => this.store,
      hostIP: BRIDGE_IP,
      gateway: BRIDGE_IP,
      prefixLength: PREFIX_LENGTH,
      startTimeoutMs: options.startTimeoutMs ?? 120_000,
      changed: () => this.writeHosts(),
      stopped: (pod) => {
        if (this.pods.get(pod.name) === pod) this.pods.delete(pod.name);
        this.written.delete(pod.hostsFile);
        this.writeHosts();
      },
    };
  }

  /**
   * Set the desired objects (a re-synth replaces them all). Running pods keep
   * their spec, but their ConfigMap and Secret volumes are re-projected, and
   * Services take effect in the hosts file at once.
   */
  public apply(objects: readonly KubeObject[]): void {
    this.store = new ObjectStore(objects, this.namespace, this.options.secrets ?? {});
    for (const pod of this.pods.values()) pod.refreshVolumes(this.store);
    this.writeHosts();
  }

  /** A running pod by name. */
  public pod(name: string): Pod | undefined {
    return this.pods.get(name);
  }

  /** Start one ordinal of a StatefulSet; resolves once its containers are started (not ready). */
  public async startStatefulSetPod(name: string, ordinal: number): Promise<Pod> {
    const pod = this.statefulSetPod(name, ordinal);
    await pod.start();
    return pod;
  }

  /**
   * Start all `spec.replicas` ordinals: at once with podManagementPolicy
   * Parallel, else (OrderedReady, the default) one by one, each after the
   * previous one is ready, as the StatefulSet controller does.
   */
  public async startStatefulSet(name: string, options: WaitOptions = {}): Promise<Pod[]> {
    const sts = this.store.get<StatefulSet>('StatefulSet', name);
    const ordinals = [...Array(sts.spec.replicas ?? 1).keys()];
    if (sts.spec.podManagementPolicy === 'Parallel') {
      // All pods get their IP (and DNS records) before any container starts, so peers resolve at once.
      const pods = ordinals.map((i) => this.statefulSetPod(name, i));
      await Promise.all(pods.map((p) => p.start()));
      return pods;
    }
    const pods: Pod[] = [];
    for (const i of ordinals) {
      const pod = await this.startStatefulSetPod(name, i);
      await pod.waitReady(options);
      pods.push(pod);
    }
    return pods;
  }

  /** Stop a pod if it runs; with `deleteVolumes`, also delete its volumeClaimTemplate claims. */
  public async deletePod(name: string, options: DeletePodOptions = {}): Promise<void> {
    await this.pods.get(name)?.stop();
    if (!options.deleteVolumes) return;
    for (const sts of this.store.all<StatefulSet>('StatefulSet')) {
      const ordinal = ordinalOf(name, sts.metadata?.name ?? '');
      if (ordinal === undefined) continue;
      for (const claim of claimVolumes(sts, ordinal)) {
        fs.rmSync(path.join(this.claimsDir, claim.persistentVolumeClaim.claimName), { recursive: true, force: true });
      }
    }
  }

  /**
   * Run a Job's pod to completion; a failed pod is replaced by a new one up to
   * `backoffLimit` (default 6) times.
   */
  public runJob(name: string, options: RunJobOptions = {}): Promise<JobResult> {
    return this.runJobSpec(name, this.store.get<Job>('Job', name).spec, options);
  }

  /** Run a CronJob's `jobTemplate` now, as `kubectl create job --from=cronjob/NAME` would. */
  public runCronJob(name: string, options: RunJobOptions = {}): Promise<JobResult> {
    const cron = this.store.get<CronJob>('CronJob', name);
    return this.runJobSpec(`${name}-${Math.floor(Date.now() / 60_000)}`, cron.spec.jobTemplate.spec, options);
  }

  /**
   * Run a program on the runner's side of the network (where the kubelet and
   * kubectl would be): names resolve through the cluster hosts file, and a bare
   * `argv[0]` is looked up in the binary cache first (etcdctl, etcdutl, busybox).
   */
  public async exec(argv: readonly string[], options: SandboxExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const r = await this.runtime.agent.call({
      op: 'run', argv, timeoutMs, input: options.input, env: { PATH: `${this.binDir}:${DEFAULT_PATH}`, ...options.env },
    });
    if (r.timedOut) throw new Error(`exec ${argv.join(' ')} timed out after ${timeoutMs}ms:\n${r.stdout}${r.stderr}`);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  /** Kill every process and remove the sandbox's directory (kept when KEEP_SANDBOX=1). */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error('the sandbox was closed');
    for (const pod of this.pods.values()) pod.abandon(error);
    this.pods.clear();
    await this.runtime.agent.close();
    if (process.env.KEEP_SANDBOX === '1') {
      process.stderr.write(`KEEP_SANDBOX=1: sandbox kept in ${this.dir}\n`);
    } else {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private get claimsDir(): string {
    return path.join(this.dir, 'claims');
  }

  private statefulSetPod(name: string, ordinal: number): Pod {
    const sts = this.store.get<StatefulSet>('StatefulSet', name);
    const podName = `${name}-${ordinal}`;
    const template = sts.spec.template;
    const spec: PodSpec = {
      ...template.spec,
      hostname: podName,
      subdomain: sts.spec.serviceName,
      volumes: [...template.spec.volumes ?? [], ...claimVolumes(sts, ordinal)],
    };
    const labels = {
      ...template.metadata?.labels,
      'statefulset.kubernetes.io/pod-name': podName,
      'apps.kubernetes.io/pod-index': String(ordinal),
    };
    return this.createPod(podName, { metadata: { ...template.metadata, labels }, spec });
  }

  private async runJobSpec(jobName: string, spec: JobSpec, options: RunJobOptions): Promise<JobResult> {
    const deadline = Date.now() + Math.min(options.timeoutMs ?? 120_000, (spec.activeDeadlineSeconds ?? Infinity) * 1000);
    const maxAttempts = (spec.backoffLimit ?? 6) + 1;
    const labels = { ...spec.template.metadata?.labels, 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName };
    let last = { succeeded: false, logs: '', podName: '' };
    let attempts = 0;
    while (attempts < maxAttempts && !last.succeeded) {
      attempts++;
      const podName = `${jobName}-${crypto.randomBytes(3).toString('hex').slice(0, 5)}`;
      // Retries are new pods; OnFailure is run like Never (see README).
      const pod = this.createPod(podName, { metadata: { ...spec.template.metadata, labels }, spec: { ...spec.template.spec, restartPolicy: 'Never' } });
      let succeeded = false;
      try {
        await pod.start();
        succeeded = await pod.waitCompleted(Math.max(0, deadline - Date.now()));
      } catch (e) {
        await pod.stop();
        // A failed init container is a failed attempt; anything else (a timeout, a missing Secret) fails the test.
        if (!(e instanceof InitContainerError)) throw new Error(`Job ${jobName}: ${(e as Error).message}`);
      }
      last = { succeeded, logs: pod.allLogs(), podName };
      await pod.stop();
    }
    return { ...last, attempts };
  }

  private createPod(name: string, template: PodTemplate): Pod {
    if (this.closed) throw new Error('the sandbox is closed');
    if (this.pods.has(name)) throw new Error(`pod ${name} is already running`);
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    const dir = path.join(this.dir, 'pods', name, String(n));
    const logDir = path.join(this.logDir, name, String(n));
    fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(logDir, { recursive: true });
    const pod = new Pod(this.context, {
      name,
      namespace: this.namespace,
      uid: crypto.randomUUID(),
      labels: template.metadata?.labels ?? {},
      annotations: template.metadata?.annotations ?? {},
      spec: template.spec,
      ip: this.ipFor(name),
      dir,
      logDir,
      hostsFile: path.join(dir, 'hosts'),
      claimsDir: this.claimsDir,
    });
    this.pods.set(name, pod);
    this.writeHosts();
    return pod;
  }

  /** Stable per pod name for the sandbox's life. */
  private ipFor(name: string): string {
    let ip = this.ips.get(name);
    if (!ip) {
      const n = this.ips.size + FIRST_POD_HOST;
      if (n > 65_534) throw new Error('out of pod IPs');
      ip = `10.244.${Math.floor(n / 256)}.${n % 256}`;
      this.ips.set(name, ip);
    }
    return ip;
  }

  private writeHosts(): void {
    if (this.closed) return;
    const services: ServiceRef[] = this.store.all<Service>('Service').map((service) => ({
      name: service.metadata?.name ?? '', namespace: this.store.namespaceOf(service), service,
    }));
    const pods = [...this.pods.values()].filter((p) => p.phase !== 'stopped');
    const cluster = clusterHosts(pods, services, this.clusterDomain);
    this.writeIfChanged(path.join(this.dir, 'hosts'), cluster.join('\n') + '\n');
    for (const pod of pods) this.writeIfChanged(pod.hostsFile, podHosts(cluster, pod, this.clusterDomain));
  }

  /**
   * In place: the agent and the containers bind these files, so a rename would
   * not reach them. A reader can catch the file mid-write, which is why unchanged
   * files are not rewritten.
   */
  private writeIfChanged(file: string, content: string): void {
    if (this.written.get(file) === content) return;
    fs.writeFileSync(file, content);
    this.written.set(file, content);
  }
}

function claimVolumes(sts: StatefulSet, ordinal: number) {
  return (sts.spec.volumeClaimTemplates ?? []).map((t) => {
    const template = t.metadata?.name ?? '';
    return { name: template, persistentVolumeClaim: { claimName: `${template}-${sts.metadata?.name}-${ordinal}` } };
  });
}

function ordinalOf(podName: string, stsName: string): number | undefined {
  const m = new RegExp(`^${stsName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(podName);
  return m ? Number(m[1]) : undefined;
}

/** The absolute path of a host tool (the agent spawns with the containers' PATH). */
function which(tool: string): string {
  for (const dir of DEFAULT_PATH.split(':')) {
    const file = path.join(dir, tool);
    if (fs.existsSync(file)) return file;
  }
  const pkg = tool === 'ip' ? 'iproute2' : 'util-linux';
  throw new Error(`the test runner needs \`${tool}\` (Debian package ${pkg}) in ${DEFAULT_PATH}`);
}
