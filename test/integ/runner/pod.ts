import { ContainerRunner, ContainerSetup, ExecOptions, ExecResult, PodSandbox, Runtime } from './container';
import { commandLine, DEFAULT_PATH, PodFacts, resolveEnv } from './env';
import { HostsPod } from './hosts';
import { ImageMapping, resolveImage } from './images';
import { Container, ObjectStore, PodSpec } from './manifest';
import { PodVolumes } from './volumes';
import { Notifier, withTimeout } from './wait';

/** What the sandbox gives a pod (internal). */
export interface PodContext {
  readonly runtime: Runtime;
  readonly images: readonly ImageMapping[];
  readonly store: () => ObjectStore;
  readonly hostIP: string;
  readonly gateway: string;
  readonly prefixLength: number;
  readonly startTimeoutMs: number;
  /** The pod's IP, readiness or membership changed: rewrite the hosts files. */
  readonly changed: (pod: Pod) => void;
  readonly stopped: (pod: Pod) => void;
}

/** Everything that makes one pod incarnation (internal). */
export interface PodInit {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: PodSpec;
  readonly ip: string;
  readonly dir: string;
  readonly logDir: string;
  readonly hostsFile: string;
  readonly claimsDir: string;
}

/** An init container exited non-zero: the pod did not start. */
export class InitContainerError extends Error {}

export type PodPhase = 'pending' | 'running' | 'stopping' | 'stopped';

export interface WaitOptions {
  readonly timeoutMs?: number;
}

export interface PodExecOptions extends ExecOptions {
  /** Defaults to the first container. */
  readonly container?: string;
}

/**
 * A running pod: a network namespace with the pod's IP, its volumes, and its
 * containers. Created by {@link Sandbox}; stopping it is deleting the pod.
 */
export class Pod implements HostsPod {
  public readonly name: string;
  public readonly namespace: string;
  public readonly ip: string;
  public readonly labels: Readonly<Record<string, string>>;
  public readonly hostname: string;
  public readonly subdomain?: string;
  public phase: PodPhase = 'pending';
  /** When the main containers were started. */
  public startedAt?: Date;
  /** When the pod last became ready. */
  public readyAt?: Date;
  private readonly volumes: PodVolumes;
  private readonly notifier = new Notifier();
  private readonly init: ContainerRunner[] = [];
  private readonly sidecars: ContainerRunner[] = [];
  private readonly main: ContainerRunner[] = [];
  /** The process holding the network namespace (pid in the agent's pid namespace). */
  private holderPid?: number;
  private wasReady = false;
  private stopping?: Promise<void>;

  /** @internal */
  constructor(private readonly ctx: PodContext, private readonly def: PodInit) {
    this.name = def.name;
    this.namespace = def.namespace;
    this.ip = def.ip;
    this.labels = def.labels;
    this.hostname = def.spec.hostname ?? def.name;
    this.subdomain = def.spec.subdomain;
    this.volumes = new PodVolumes(def.spec.volumes ?? [], def.dir, def.claimsDir);
  }

  /** Ready as Kubernetes means it: running, and every container started and passing its readiness probe. */
  public get ready(): boolean {
    return this.phase === 'running' && this.main.length > 0 && [...this.sidecars, ...this.main].every((c) => c.ready);
  }

  public async waitReady(options: WaitOptions = {}): Promise<void> {
    await this.until(() => this.ready, options.timeoutMs ?? 60_000, 'to become ready');
  }

  /** A container's log (stdout and stderr, appended across restarts); defaults to the first container. */
  public logs(container?: string): string {
    return this.container(container).logs();
  }

  public restarts(container?: string): number {
    return this.container(container).restarts;
  }

  /**
   * Send `signal` to the main containers (or one of them) as `kill` in the
   * container would to pid 1. For SIGKILL this resolves once they have exited;
   * the restart policy then applies.
   */
  public async kill(signal: NodeJS.Signals = 'SIGKILL', options: { readonly container?: string } = {}): Promise<void> {
    const targets = options.container ? [this.container(options.container)] : this.main;
    await Promise.all(targets.map(async (c) => {
      const exited = signal === 'SIGKILL' && c.state === 'running' ? c.waitExit() : undefined;
      await c.signal(signal);
      if (exited) await withTimeout(exited, 10_000, `${this.name}/${c.name} to exit after SIGKILL`);
    }));
  }

  /**
   * Delete the pod: SIGTERM its containers, SIGKILL after
   * `terminationGracePeriodSeconds`, remove its network namespace and its
   * emptyDir/ConfigMap/Secret volumes. Claims stay.
   */
  public stop(): Promise<void> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  /** Run `argv` inside a running container, as `kubectl exec` does. */
  public async exec(argv: readonly string[], options: PodExecOptions = {}): Promise<ExecResult> {
    const r = await this.container(options.container).exec(argv, options);
    if (r.timedOut) throw new Error(`exec ${argv.join(' ')} in pod ${this.name} timed out:\n${r.stdout}${r.stderr}`);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  public describe(): string {
    const containers = [...this.init, ...this.sidecars, ...this.main].map((c) => `\n  ${c.describe()}`).join('');
    return `pod ${this.name} (${this.ip}): ${this.phase}${this.ready ? ', ready' : ', not ready'}${containers}`;
  }

  /** @internal The file bound at /etc/hosts in this pod's containers. */
  public get hostsFile(): string {
    return this.def.hostsFile;
  }

  /** @internal Start the network, volumes and init containers, then the containers. Throws (and cleans up) if the pod cannot start. */
  public async start(): Promise<void> {
    try {
      const store = this.ctx.store();
      this.volumes.materialize(store);
      const { pid } = await this.ctx.runtime.agent.call({ op: 'netns', address: `${this.ip}/${this.ctx.prefixLength}`, gateway: this.ctx.gateway });
      this.holderPid = pid;
      for (const spec of this.def.spec.initContainers ?? []) await this.runInit(spec, store);
      const restartPolicy = policy(this.def.spec.restartPolicy);
      this.main.push(...this.def.spec.containers.map((c) => this.runner(c, restartPolicy, store)));
      this.phase = 'running';
      await Promise.all(this.main.map((c) => c.start()));
      this.startedAt = new Date();
      this.changed();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** @internal For Jobs: wait until every main container has terminated for good; true when all exited 0. */
  public async waitCompleted(timeoutMs: number): Promise<boolean> {
    await this.until(() => this.main.every((c) => c.state === 'terminated'), timeoutMs, 'its containers to complete');
    return this.main.every((c) => c.lastExit?.code === 0);
  }

  /** @internal Every container's log, init containers first. */
  public allLogs(): string {
    return [...this.init, ...this.sidecars, ...this.main].map((c) => c.logs()).join('');
  }

  /** @internal Re-project ConfigMap and Secret volumes. */
  public refreshVolumes(store: ObjectStore): void {
    if (this.phase === 'running') this.volumes.refresh(store);
  }

  /** @internal The sandbox is closing: forget timers; the agent's exit kills the processes. */
  public abandon(error: Error): void {
    for (const c of [...this.init, ...this.sidecars, ...this.main]) c.abandon();
    this.notifier.failAll(error);
  }

  private async runInit(spec: Container, store: ObjectStore): Promise<void> {
    // An init container with restartPolicy Always is a sidecar: it keeps running, and the next one starts once it has started.
    if (spec.restartPolicy === 'Always') {
      const sidecar = this.runner(spec, 'Always', store);
      this.sidecars.push(sidecar);
      await sidecar.start();
      await this.until(() => sidecar.started, this.ctx.startTimeoutMs, `sidecar ${spec.name} to start`);
      return;
    }
    const init = this.runner(spec, 'Never', store);
    this.init.push(init);
    const exited = init.waitExit();
    await init.start();
    const code = await withTimeout(exited, this.ctx.startTimeoutMs, `init container ${spec.name} of pod ${this.name} to complete`);
    if (code !== 0) throw new InitContainerError(`init container ${spec.name} of pod ${this.name} failed with exit code ${code}:\n${init.logs()}`);
  }

  private runner(spec: Container, restartPolicy: ContainerSetup['restartPolicy'], store: ObjectStore): ContainerRunner {
    const podSpec = this.def.spec;
    const env = resolveEnv(spec, this.facts(), store);
    const security = { ...podSpec.securityContext, ...spec.securityContext };
    const uid = security.runAsUser ?? 0;
    if (security.runAsNonRoot && uid === 0) {
      throw new Error(`container ${spec.name} of pod ${this.name} has runAsNonRoot but would run as root (set runAsUser)`);
    }
    const image = resolveImage(spec.image, this.ctx.images);
    const sandbox: PodSandbox = {
      name: this.name,
      hostname: this.hostname,
      ip: this.ip,
      holderPid: this.holderPid!,
      hostsFile: this.def.hostsFile,
      logDir: this.def.logDir,
      terminationGraceMs: (podSpec.terminationGracePeriodSeconds ?? 30) * 1000,
      onChange: () => this.changed(),
    };
    return new ContainerRunner(this.ctx.runtime, sandbox, {
      spec,
      image,
      argv: commandLine(spec, image, env),
      env: { PATH: DEFAULT_PATH, ...env },
      mounts: this.volumes.mounts(spec, env),
      uid,
      gid: security.runAsGroup ?? 0,
      readOnlyRoot: !!security.readOnlyRootFilesystem,
      restartPolicy,
    });
  }

  private facts(): PodFacts {
    return {
      name: this.name,
      namespace: this.namespace,
      uid: this.def.uid,
      ip: this.ip,
      hostIP: this.ctx.hostIP,
      labels: this.labels,
      annotations: this.def.annotations,
      serviceAccountName: this.def.spec.serviceAccountName ?? 'default',
      containers: this.def.spec.containers,
    };
  }

  private container(name?: string): ContainerRunner {
    const all = [...this.main, ...this.sidecars, ...this.init];
    const found = name === undefined ? this.main[0] : all.find((c) => c.name === name);
    if (!found) throw new Error(`pod ${this.name} has no ${name === undefined ? 'running containers' : `container ${name}`}`);
    return found;
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.notifier.until(done, timeoutMs, () => `pod ${this.name} ${what}; state:\n${this.describe()}`);
  }

  private changed(): void {
    const ready = this.ready;
    if (ready && !this.wasReady) this.readyAt = new Date();
    this.wasReady = ready;
    this.ctx.changed(this);
    this.notifier.notify();
  }

  private async terminate(): Promise<void> {
    this.phase = 'stopping';
    const graceMs = (this.def.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    // Main containers first, then sidecars, as the kubelet does.
    await Promise.all([...this.init, ...this.main].map((c) => c.stop(graceMs)));
    await Promise.all(this.sidecars.map((c) => c.stop(graceMs)));
    if (this.holderPid) await this.ctx.runtime.agent.call({ op: 'signal', pid: this.holderPid, signal: 'SIGKILL' });
    this.volumes.remove();
    this.phase = 'stopped';
    this.ctx.stopped(this);
    this.notifier.notify();
  }
}

function policy(restartPolicy: string | undefined): ContainerSetup['restartPolicy'] {
  if (restartPolicy === undefined || restartPolicy === 'Always' || restartPolicy === 'OnFailure' || restartPolicy === 'Never') {
    return restartPolicy ?? 'Always';
  }
  throw new Error(`invalid restartPolicy ${restartPolicy}`);
}
