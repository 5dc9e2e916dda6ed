// Messages between the test process and the agent (one JSON object per line).
// Type-only module: the agent imports it with `import type`, so the transpiled
// agent needs nothing but node's builtins.

/** Passed to the agent as its only argument. */
export interface AgentConfig {
  /** Bridge address with prefix, e.g. `10.244.0.1/16`. */
  readonly bridge: string;
  /** Bind-mounted over the agent's `/etc/hosts`. */
  readonly hostsFile: string;
}

/** Create a pod network namespace; answers `{ pid }` of the process holding it. */
export interface NetnsRequest {
  readonly op: 'netns';
  /** Pod address with prefix, e.g. `10.244.0.7/16`. */
  readonly address: string;
  readonly gateway: string;
}

/**
 * Start a long-running process with stdout and stderr appended to `log`.
 * Answers `{ pid, childPid? }`; `childPid` is the sandboxed command as reported by
 * `bwrap --info-fd 3` when `infoFd` is set. An `exit` event with the same `key` follows.
 */
export interface SpawnRequest {
  readonly op: 'spawn';
  readonly key: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly log: string;
  readonly infoFd?: boolean;
}

export interface SignalRequest {
  readonly op: 'signal';
  readonly pid: number;
  readonly signal: NodeJS.Signals;
}

/** Run a command to completion; answers a {@link RunResult}. */
export interface RunRequest {
  readonly op: 'run';
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly input?: string;
}

export interface HttpRequest {
  readonly op: 'http';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export interface TcpRequest {
  readonly op: 'tcp';
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
}

export type Request = NetnsRequest | SpawnRequest | SignalRequest | RunRequest | HttpRequest | TcpRequest;

export interface RunResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly message: string;
}

export interface SpawnResult {
  readonly pid: number;
  readonly childPid?: number;
}

/** The answer to each request, by `op`. */
export interface Responses {
  readonly netns: { readonly pid: number };
  readonly spawn: SpawnResult;
  readonly signal: null;
  readonly run: RunResult;
  readonly http: CheckResult;
  readonly tcp: CheckResult;
}

export type Envelope =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string }
  | { readonly event: 'ready' }
  | { readonly event: 'exit'; readonly key: string; readonly code: number | null; readonly signal: string | null };
