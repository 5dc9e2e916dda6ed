// The agent: pid 1 of the runner's user, mount, network and pid namespaces
// (`unshare -rmnp --fork --kill-child --mount-proc node agent.js CONFIG`).
// Everything that needs those namespaces happens here; the test process asks for
// it over stdin/stdout (see protocol.ts). Being pid 1 is what makes cleanup
// reliable: when the agent exits, for whatever reason, the kernel kills every
// process left in its pid namespace (containers, network holders, execs).
//
// It must run under plain `node`: agent-client.ts transpiles this file alone, so it
// imports only node builtins (and types, which transpiling erases).
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as readline from 'readline';
import type {
  AgentConfig, CheckResult, Envelope, HttpRequest, NetnsRequest, Request, RunRequest, RunResult, SpawnRequest, SpawnResult, TcpRequest,
} from './protocol';

const children = new Set<childProcess.ChildProcess>();
let vethCount = 0;

function send(message: Envelope): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function run(req: Omit<RunRequest, 'op'>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = req.argv;
    // Its own process group, so a timeout also kills what `nsenter -p` forked.
    const child = childProcess.spawn(file, args, { env: { ...req.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, req.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${file}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, timedOut, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

async function mustRun(argv: string[], input?: string): Promise<void> {
  const r = await run({ argv, input, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, timeoutMs: 10_000 });
  if (r.code !== 0) {
    throw new Error(`${argv.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr}${r.stdout}`);
  }
}

async function waitForOwnNetns(pid: number): Promise<void> {
  const own = fs.readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 400; i++) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/ns/net`) !== own) return;
    } catch {
      throw new Error(`network holder ${pid} exited`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`network holder ${pid} did not unshare its network namespace`);
}

// A sleeping process holds each pod's network namespace, like a pause container.
async function netns(req: NetnsRequest): Promise<{ pid: number }> {
  const holder = childProcess.spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore' });
  children.add(holder);
  holder.on('exit', () => children.delete(holder));
  const pid = holder.pid!;
  await waitForOwnNetns(pid);
  const veth = `veth${++vethCount}`;
  await mustRun(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid)]);
  await mustRun(['ip', 'link', 'set', veth, 'master', 'br0', 'up']);
  const inside = ['link set lo up', `addr add ${req.address} dev eth0`, 'link set eth0 up', `route add default via ${req.gateway}`];
  await mustRun(['nsenter', '-t', String(pid), '-n', 'ip', '-batch', '-'], inside.join('\n') + '\n');
  return { pid };
}

/**
 * bwrap reports the sandbox's pid before it has built the sandbox. Wait until that
 * process has exec'd the command, so whoever joins its namespaces (exec, hooks,
 * probes) finds the final root.
 */
async function waitForExec(sandboxPid: number, bwrapPid: number): Promise<void> {
  const exe = (pid: number) => {
    const s = fs.statSync(`/proc/${pid}/exe`);
    return `${s.dev}:${s.ino}`;
  };
  try {
    const bwrap = exe(bwrapPid);
    for (let i = 0; i < 2000 && exe(sandboxPid) === bwrap; i++) await new Promise((r) => setTimeout(r, 5));
  } catch {
    // One of them exited: the exit event says the rest.
  }
}

function spawn(req: SpawnRequest): Promise<SpawnResult> {
  const log = fs.openSync(req.log, 'a');
  const [file, ...args] = req.argv;
  const stdio: childProcess.StdioOptions = req.infoFd ? ['ignore', log, log, 'pipe'] : ['ignore', log, log];
  const child = childProcess.spawn(file, args, { env: { ...req.env }, stdio });
  fs.closeSync(log);
  children.add(child);
  const started = new Promise<SpawnResult>((resolve, reject) => {
    child.on('error', reject);
    const info = req.infoFd ? child.stdio[3] : null;
    if (!info) {
      child.on('spawn', () => resolve({ pid: child.pid! }));
      return;
    }
    let text = '';
    let found = false;
    info.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (!m || found) return;
      found = true;
      const childPid = Number(m[1]);
      void waitForExec(childPid, child.pid!).then(() => resolve({ pid: child.pid!, childPid }));
    });
    // bwrap failed before the sandbox existed: the exit event tells the rest.
    child.on('exit', () => resolve({ pid: child.pid! }));
  });
  // The answer to the request must reach the client before the exit event.
  child.on('exit', (code, signal) => {
    children.delete(child);
    void started.catch(() => undefined).then(() => send({ event: 'exit', key: req.key, code, signal }));
  });
  return started;
}

function httpCheck(req: HttpRequest): Promise<CheckResult> {
  return new Promise((resolve) => {
    const get = req.url.startsWith('https:') ? https.get : http.get;
    const timer = setTimeout(() => r.destroy(new Error(`timeout after ${req.timeoutMs}ms`)), req.timeoutMs);
    // Like the kubelet: no certificate verification, 200-399 is success.
    const r = get(req.url, { headers: req.headers, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body = (body + chunk).slice(0, 200);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 400, message: `HTTP ${status} ${body.trim()}`.trim() });
      });
    });
    r.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, message: e.message });
    });
  });
}

function tcpCheck(req: TcpRequest): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: req.host, port: req.port, timeout: req.timeoutMs });
    const done = (result: CheckResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.on('connect', () => done({ ok: true, message: 'connected' }));
    socket.on('timeout', () => done({ ok: false, message: `timeout after ${req.timeoutMs}ms` }));
    socket.on('error', (e) => done({ ok: false, message: e.message }));
  });
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'netns': return netns(req);
    case 'spawn': return spawn(req);
    case 'run': return run(req);
    case 'http': return httpCheck(req);
    case 'tcp': return tcpCheck(req);
    case 'signal':
      try {
        process.kill(req.pid, req.signal);
      } catch {
        // Already gone.
      }
      return null;
  }
}

function killGroup(child: childProcess.ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function shutdown(): never {
  for (const child of children) child.kill('SIGKILL');
  process.exit(0);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as AgentConfig;
  await mustRun(['mount', '--bind', config.hostsFile, '/etc/hosts']);
  await mustRun(['ip', 'link', 'set', 'lo', 'up']);
  await mustRun(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  await mustRun(['ip', 'addr', 'add', config.bridge, 'dev', 'br0']);
  await mustRun(['ip', 'link', 'set', 'br0', 'up']);

  // The test process is gone (or closing) when stdin ends.
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('close', shutdown);
  lines.on('line', (line) => {
    const { id, ...req } = JSON.parse(line) as Request & { id: number };
    handle(req as Request).then(
      (result) => send({ id, result: result ?? null }),
      (e: Error) => send({ id, error: e.message }),
    );
  });
  send({ event: 'ready' });
}

main().catch((e: Error) => {
  process.stderr.write(`agent: ${e.message}\n`);
  process.exit(1);
});
