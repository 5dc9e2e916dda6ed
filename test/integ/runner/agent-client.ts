import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import * as ts from 'typescript';
import type { AgentConfig, Envelope, Request, Responses } from './protocol';

type ExitHandler = (code: number | null, signal: string | null) => void;

const USERNS_HELP = 'The integration test runner needs unprivileged user namespaces (`unshare -rmnp` must work). '
  + 'Check `sysctl kernel.unprivileged_userns_clone` (must be 1 where it exists), `sysctl user.max_user_namespaces` (must be > 0) '
  + 'and, on Ubuntu, `sysctl kernel.apparmor_restrict_unprivileged_userns` (must be 0).';

/** The test process's end of the agent (see agent.ts): one request/response pair per line. */
export class AgentClient {
  /**
   * Start the agent in new user, mount, network and pid namespaces. `PATH` must
   * reach `ip`, `nsenter`, `unshare` and `mount`.
   */
  public static async start(workDir: string, config: AgentConfig, env: Record<string, string>): Promise<AgentClient> {
    const script = path.join(workDir, 'agent.js');
    const source = fs.readFileSync(path.join(__dirname, 'agent.ts'), 'utf8');
    const compiled = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    fs.writeFileSync(script, compiled.outputText);

    const proc = childProcess.spawn('unshare', ['-rmnp', '--fork', '--kill-child', '--mount-proc', process.execPath, script, JSON.stringify(config)], {
      env, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const client = new AgentClient(proc);
    await client.ready;
    return client;
  }

  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exitHandlers = new Map<string, ExitHandler>();
  private readonly exited: Promise<void>;
  private readonly ready: Promise<void>;
  private settleReady!: (error?: Error) => void;
  private nextId = 1;
  private stderr = '';
  private dead?: Error;

  private constructor(private readonly proc: childProcess.ChildProcessWithoutNullStreams) {
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    proc.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-4000);
    });
    proc.stdin.on('error', () => undefined);
    readline.createInterface({ input: proc.stdout }).on('line', (line) => this.receive(JSON.parse(line) as Envelope));
    this.exited = new Promise((resolve) => proc.on('close', () => {
      const help = /^unshare:/m.test(this.stderr) ? `\n${USERNS_HELP}` : '';
      this.dead = new Error(`the runner agent exited (${proc.exitCode ?? proc.signalCode}): ${this.stderr.trim()}${help}`);
      this.settleReady(this.dead);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      resolve();
    }));
  }

  public call<R extends Request>(req: R): Promise<Responses[R['op']]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as Responses[R['op']]), reject });
      this.proc.stdin.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  /** Register before spawning: the exit event can arrive right after the spawn answer. */
  public onExit(key: string, handler: ExitHandler): void {
    this.exitHandlers.set(key, handler);
  }

  /** Closing stdin makes the agent exit; the kernel then kills everything in its pid namespace. */
  public async close(): Promise<void> {
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  private receive(message: Envelope): void {
    if ('id' in message) {
      const p = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('error' in message) p?.reject(new Error(message.error));
      else p?.resolve(message.result);
    } else if (message.event === 'ready') {
      this.settleReady();
    } else {
      const handler = this.exitHandlers.get(message.key);
      this.exitHandlers.delete(message.key);
      handler?.(message.code, message.signal);
    }
  }
}
