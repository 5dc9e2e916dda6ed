import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AgentClient } from './agent-client';
import { ImageSpec } from './images';
import { Container, LifecycleHandler, PortRef, Probe } from './manifest';
import { Check, ProbeKind, ProbeLoop } from './probes';
import { RunResult } from './protocol';
import { Mount } from './volumes';

/** Host programs and settings every container needs. */
export interface Runtime {
  readonly agent: AgentClient;
  readonly bwrap: string;
  readonly nsenter: string;
  /** Bound read-only so dynamically linked binaries (etcd) load. */
  readonly libDirs: readonly string[];
  readonly probeTimeScale: number;
}

/** The pod as its containers see it. */
export interface PodSandbox {
  readonly name: string;
  readonly hostname: string;
  readonly ip: string;
  /** The process holding the pod's network namespace. */
  readonly holderPid: number;
  readonly hostsFile: string;
  readonly logDir: string;
  readonly terminationGraceMs: number;
  readonly onChange: () => void;
}

export interface ContainerSetup {
  readonly spec: Container;
  readonly image: ImageSpec;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly mounts: readonly Mount[];
  readonly uid: number;
  readonly gid: number;
  readonly readOnlyRoot: boolean;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
}

export interface ExecResult {
  /** null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Added to (and overriding) the container's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** `waiting` covers "not started yet" and "in restart backoff"; `terminated` is final. */
export type ContainerState = 'waiting' | 'running' | 'terminated';

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
/** A container that ran this long before exiting restarts without backoff history. */
const BACKOFF_RESET_MS = 10_000;
/** What the kubelet still grants after a preStop hook used up the grace period. */
const MIN_GRACE_AFTER_PRESTOP_MS = 2000;

/**
 * One container: a bwrap sandbox in the pod's network namespace, restarted per
 * the restart policy with a 1s→5s backoff (the kubelet's is 10s→5min), probed
 * as declared.
 */
export class ContainerRunner {
  public state: ContainerState = 'waiting';
  public restarts = 0;
  public lastExit?: { readonly code: number; readonly at: Date };
  public lastHookFailure?: string;
  public readonly logFile: string;
  private startedByProbe = false;
  private readyByProbe = false;
  private pid?: number;
  private childPid?: number;
  private runningSince = 0;
  private incarnation = 0;
  private exitedIncarnation = 0;
  private backoffMs = MIN_BACKOFF_MS;
  private stopping = false;
  private probes: ProbeLoop[] = [];
  private startup?: ProbeLoop;
  private restartTimer?: NodeJS.Timeout;
  private killTimer?: NodeJS.Timeout;
  private exitWaiters: Array<(code: number) => void> = [];

  constructor(private readonly runtime: Runtime, private readonly pod: PodSandbox, private readonly setup: ContainerSetup) {
    this.logFile = path.join(pod.logDir, `${setup.spec.name}.log`);
    for (const probe of [setup.spec.startupProbe, setup.spec.livenessProbe, setup.spec.readinessProbe]) {
      if (probe && !probe.httpGet && !probe.tcpSocket && !probe.exec) {
        throw new Error(`container ${setup.spec.name}: unsupported probe handler ${Object.keys(probe).join(', ')}`);
      }
    }
    for (const hook of [setup.spec.lifecycle?.postStart, setup.spec.lifecycle?.preStop]) {
      if (hook && !hook.exec && !hook.sleep) throw new Error(`container ${setup.spec.name}: unsupported lifecycle hook ${Object.keys(hook).join(', ')}`);
    }
  }

  public get name(): string {
    return this.setup.spec.name;
  }

  /** Running, past its startup probe and passing its readiness probe (if it has them). */
  public get ready(): boolean {
    return this.state === 'running' && this.started && (!this.setup.spec.readinessProbe || this.readyByProbe);
  }

  /** Past its startup probe: what a sidecar init container must reach before the next one starts. */
  public get started(): boolean {
    return this.state === 'running' && (!this.setup.spec.startupProbe || this.startedByProbe);
  }

  public async start(): Promise<void> {
    const incarnation = ++this.incarnation;
    const key = `${this.pod.name}/${this.name}/${incarnation}`;
    this.runtime.agent.onExit(key, (code, signal) => {
      this.exitedIncarnation = incarnation;
      this.exited(code ?? 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0));
    });
    this.runningSince = Date.now();
    const r = await this.runtime.agent.call({ op: 'spawn', key, argv: this.sandboxArgv(), env: this.setup.env, log: this.logFile, infoFd: true });
    if (this.stopping) {
      await this.runtime.agent.call({ op: 'signal', pid: r.pid, signal: 'SIGKILL' });
      return;
    }
    // No child pid: bwrap failed, and its exit (already handled or on its way) says so.
    if (r.childPid === undefined || this.exitedIncarnation === incarnation) return;
    this.pid = r.pid;
    this.childPid = r.childPid;
    this.startedByProbe = false;
    this.readyByProbe = false;
    this.probes = [];
    // As with the kubelet, the container is not running (nor probed) until its postStart hook has succeeded.
    const failure = await this.hook('postStart', this.pod.terminationGraceMs);
    if (this.exitedIncarnation === incarnation) return;
    this.state = 'running';
    if (failure) {
      await this.terminate(this.pod.terminationGraceMs);
      return;
    }
    this.startProbes();
    this.pod.onChange();
  }

  /** Resolves with the exit code of the current (or next) run. */
  public waitExit(): Promise<number> {
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** Send `signal` to the container's process (pid 1 of its pid namespace). */
  public async signal(signal: NodeJS.Signals): Promise<void> {
    const pid = this.childPid ?? this.pid;
    if (pid) await this.runtime.agent.call({ op: 'signal', pid, signal });
  }

  /** The preStop hook, SIGTERM, then SIGKILL when `graceMs` is over; resolves when it has exited. */
  public async terminate(graceMs: number): Promise<void> {
    if (!this.pid) return;
    const exited = this.waitExit();
    const deadline = Date.now() + graceMs;
    await this.hook('preStop', graceMs);
    if (this.pid) {
      clearTimeout(this.killTimer);
      const left = deadline - Date.now();
      const remaining = left > 0 ? left : MIN_GRACE_AFTER_PRESTOP_MS;
      this.killTimer = setTimeout(() => this.signal('SIGKILL').catch(() => undefined), remaining);
      await this.signal('SIGTERM');
    }
    await exited;
  }

  /** Terminate for good (no restart). */
  public async stop(graceMs: number): Promise<void> {
    this.abandon();
    await this.terminate(graceMs);
    this.state = 'terminated';
  }

  /** Forget timers and restarts; the processes die with the agent. */
  public abandon(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.killTimer);
    this.stopProbes();
  }

  /** Run `argv` inside the running container: its namespaces, root, uid and environment. */
  public async exec(argv: readonly string[], options: ExecOptions = {}): Promise<RunResult> {
    if (!this.childPid) throw new Error(`container ${this.pod.name}/${this.name} is not running`);
    return this.runtime.agent.call({
      op: 'run',
      argv: [this.runtime.nsenter, '-t', String(this.childPid), '-U', '-m', '-p', '-n', '-u', '-r', '-w', '--preserve-credentials', '--', ...argv],
      env: { ...this.setup.env, ...options.env },
      timeoutMs: options.timeoutMs ?? 30_000,
      input: options.input,
    });
  }

  public logs(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  public describe(): string {
    const exit = this.lastExit ? `, last exit ${this.lastExit.code} at ${this.lastExit.at.toISOString()}` : '';
    const hook = this.lastHookFailure ? `\n    ${this.lastHookFailure}` : '';
    const probes = this.probes.map((p) => `\n    ${p.describe()}`).join('');
    const tail = this.logs().trimEnd().split('\n').slice(-15).map((l) => `\n    | ${l}`).join('');
    return `container ${this.name}: ${this.state}${this.ready ? ' (ready)' : ''}, ${this.restarts} restarts${exit}${hook}${probes}\n    log tail:${tail}`;
  }

  /** Run a lifecycle hook; resolves with a description of its failure, if it failed. */
  private async hook(kind: 'postStart' | 'preStop', timeoutMs: number): Promise<string | undefined> {
    const handler: LifecycleHandler | undefined = this.setup.spec.lifecycle?.[kind];
    const sleep = handler?.sleep;
    if (sleep) await new Promise((r) => setTimeout(r, Math.min(sleep.seconds * 1000, timeoutMs)));
    if (!handler?.exec) return undefined;
    const r = await this.exec(handler.exec.command, { timeoutMs }).catch((e: Error) => ({ code: null, signal: null, timedOut: false, stdout: '', stderr: e.message }));
    if (r.code === 0) return undefined;
    this.lastHookFailure = `${kind} hook failed (${r.timedOut ? 'timeout' : `exit ${r.code ?? r.signal}`}): ${`${r.stdout}${r.stderr}`.trim()}`;
    return this.lastHookFailure;
  }

  private sandboxArgv(): string[] {
    const { image, mounts, uid, gid, readOnlyRoot, spec, argv } = this.setup;
    const binds = fs.readdirSync(image.root).flatMap((entry) => ['--ro-bind', path.join(image.root, entry), `/${entry}`]);
    const libs = this.runtime.libDirs.flatMap((dir) => ['--ro-bind', dir, dir]);
    const volumes = mounts.flatMap((m) => [m.readOnly ? '--ro-bind' : '--bind', m.source, m.target]);
    const tmp = mounts.some((m) => m.target === '/tmp') ? [] : ['--perms', '1777', '--dir', '/tmp'];
    return [
      this.runtime.nsenter, '-t', String(this.pod.holderPid), '-n', '--',
      this.runtime.bwrap,
      '--unshare-user', '--uid', String(uid), '--gid', String(gid),
      '--unshare-pid', '--as-pid-1', '--unshare-uts', '--hostname', this.pod.hostname,
      '--die-with-parent', '--info-fd', '3',
      '--tmpfs', '/', ...binds, ...libs, ...volumes,
      '--ro-bind', this.pod.hostsFile, '/etc/hosts',
      '--proc', '/proc', '--dev', '/dev', ...tmp,
      ...(readOnlyRoot ? ['--remount-ro', '/'] : []),
      '--chdir', spec.workingDir ?? '/',
      '--', ...argv,
    ];
  }

  private startProbes(): void {
    const { startupProbe, livenessProbe, readinessProbe } = this.setup.spec;
    const loop = (kind: ProbeKind, probe: Probe | undefined, onChange: (healthy: boolean) => void) => {
      if (!probe) return;
      const gate = kind === 'startup' ? undefined : () => this.started;
      const p = new ProbeLoop({ kind, probe, check: this.check(probe), timeScale: this.runtime.probeTimeScale, gate, onChange });
      this.probes.push(p);
      if (kind === 'startup') this.startup = p;
    };
    const restart = () => void this.terminate(this.pod.terminationGraceMs).catch(() => undefined);
    loop('startup', startupProbe, (ok) => {
      if (ok) {
        this.startedByProbe = true;
        this.startup?.stop();
        this.pod.onChange();
      } else {
        restart();
      }
    });
    loop('liveness', livenessProbe, (ok) => ok || restart());
    loop('readiness', readinessProbe, (ok) => {
      this.readyByProbe = ok;
      this.pod.onChange();
    });
  }

  /** Stopped probes stay listed until the next start, so `describe()` shows their last results. */
  private stopProbes(): void {
    this.probes.forEach((p) => p.stop());
  }

  private check(probe: Probe): Check {
    const { agent } = this.runtime;
    if (probe.httpGet) {
      const g = probe.httpGet;
      const url = `${(g.scheme ?? 'HTTP').toLowerCase()}://${g.host ?? this.pod.ip}:${this.port(g.port)}${g.path ?? '/'}`;
      const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
      return (timeoutMs) => agent.call({ op: 'http', url, headers, timeoutMs });
    }
    if (probe.tcpSocket) {
      const { host, port } = probe.tcpSocket;
      return (timeoutMs) => agent.call({ op: 'tcp', host: host ?? this.pod.ip, port: this.port(port), timeoutMs });
    }
    const command = probe.exec?.command ?? [];
    return async (timeoutMs) => {
      const r = await this.exec(command, { timeoutMs });
      const output = `${r.stdout}${r.stderr}`.trim().slice(0, 200);
      return { ok: r.code === 0, message: r.timedOut ? `timeout after ${timeoutMs}ms` : `exit ${r.code ?? r.signal}: ${output}` };
    };
  }

  private port(ref: PortRef): number {
    if (typeof ref === 'number' || /^\d+$/.test(ref)) return Number(ref);
    const port = this.setup.spec.ports?.find((p) => p.name === ref);
    if (!port) throw new Error(`container ${this.name} has no port named ${ref}`);
    return port.containerPort;
  }

  private exited(code: number): void {
    clearTimeout(this.killTimer);
    this.stopProbes();
    const ran = Date.now() - this.runningSince;
    this.state = 'terminated';
    this.lastExit = { code, at: new Date() };
    this.pid = this.childPid = undefined;
    for (const resolve of this.exitWaiters.splice(0)) resolve(code);
    const { restartPolicy } = this.setup;
    if (!this.stopping && (restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && code !== 0))) {
      this.backoffMs = ran >= BACKOFF_RESET_MS ? MIN_BACKOFF_MS : this.backoffMs;
      this.state = 'waiting';
      this.restartTimer = setTimeout(() => {
        this.restarts++;
        this.start().catch(() => undefined);
      }, this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    }
    this.pod.onChange();
  }
}
