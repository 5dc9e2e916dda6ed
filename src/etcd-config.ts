import { Duration } from 'cdk8s';
import { invalidValue } from './errors';
import { Scheme } from './topology';

/**
 * etcd's log levels.
 */
export enum LogLevel {
  DEBUG = 'debug',
  INFO = 'info',
  WARN = 'warn',
  ERROR = 'error',
  PANIC = 'panic',
  FATAL = 'fatal',
}

const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * A Duration as a Go duration string (`90s`, `10m`, `72h`), as etcd's flags take it.
 * @internal
 */
export function goDuration(duration: Duration): string {
  const ms = duration.toMilliseconds({ integral: false });
  for (const [unit, factor] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % factor === 0) {
      return `${ms / factor}${unit}`;
    }
  }
  return `${ms}ms`;
}

/**
 * A Duration in whole seconds, or undefined when it has a fraction of a second.
 * @internal
 */
export function wholeSecondsOf(d: Duration): number | undefined {
  const ms = d.toMilliseconds({ integral: false });
  return ms % 1000 === 0 ? ms / 1000 : undefined;
}

/**
 * etcd's automatic compaction of the key history (`--auto-compaction-mode` and
 * `--auto-compaction-retention`). Without it the history grows until the space quota is hit.
 * @see https://etcd.io/docs/v3.6/op-guide/maintenance/#auto-compaction
 */
export class AutoCompaction {
  /**
   * Keep `retention` of history (etcd compacts every hour, or every `retention` when shorter).
   */
  public static periodic(retention: Duration): AutoCompaction {
    const ms = retention.toMilliseconds({ integral: false });
    if (!Number.isInteger(ms) || ms <= 0) {
      invalidValue('AutoCompaction.periodic', 'retention', 'must be longer than zero, in whole milliseconds (to switch compaction off, leave `autoCompaction` unset)');
    }
    return new AutoCompaction('periodic', goDuration(retention));
  }

  /**
   * Keep the newest `revisions` revisions (etcd checks every 5 minutes).
   */
  public static revision(revisions: number): AutoCompaction {
    if (!Number.isInteger(revisions) || revisions < 1) {
      invalidValue('AutoCompaction.revision', 'revisions', `must be a whole number of at least 1 (got ${revisions})`);
    }
    return new AutoCompaction('revision', `${revisions}`);
  }

  /**
   * The mode and retention as etcd's flags (and the Bitnami chart's `autoCompactionMode` and
   * `autoCompactionRetention`) spell them: `periodic` with a Go duration or a number of hours, or
   * `revision` with a number of revisions.
   */
  public static fromValues(mode: string, retention: string): AutoCompaction {
    if (mode === 'periodic') {
      const wellFormed = GO_DURATION.test(retention) || /^[0-9]+$/.test(retention);
      const positive = (retention.match(/[0-9.]+/g) ?? []).some(n => Number.parseFloat(n) > 0);
      if (!wellFormed || !positive) {
        invalidValue('AutoCompaction.fromValues', 'retention',
          `"${retention}" is not a periodic retention; use a Go duration longer than zero such as "1h" or "30m", or a whole number of hours`);
      }
      return new AutoCompaction(mode, retention);
    }
    if (mode === 'revision') {
      if (!/^[0-9]+$/.test(retention) || Number.parseInt(retention, 10) < 1) {
        invalidValue('AutoCompaction.fromValues', 'retention', `"${retention}" is not a revision retention; use a whole number of revisions such as "1000"`);
      }
      return new AutoCompaction(mode, retention);
    }
    return invalidValue('AutoCompaction.fromValues', 'mode', `"${mode}" is not an auto compaction mode; use "periodic" or "revision"`);
  }

  private constructor(
    /** `periodic` or `revision`. */
    public readonly mode: string,
    /** The retention as etcd takes it. */
    public readonly retention: string,
  ) {}
}

/** Resolved etcd settings; produced by EtcdCluster from its props. */
export interface EtcdSettings {
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly heartbeatInterval: Duration;
  readonly electionTimeout: Duration;
  readonly snapshotCount?: number;
  readonly quotaBackendBytes: number;
  readonly autoCompaction?: AutoCompaction;
  readonly maxRequestBytes?: number;
  readonly maxProcs?: number;
  readonly initialClusterToken: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly clientScheme: Scheme;
  readonly peerScheme: Scheme;
  readonly headlessServiceName: string;
  readonly clusterDomain: string;
}

/** A plain environment variable. */
export interface EnvEntry {
  readonly name: string;
  readonly value: string;
}

/**
 * The DNS suffix of the members at run time. The namespace comes from the downward API
 * (`$(POD_NAMESPACE)`), so the manifests work in whatever namespace they are applied to.
 */
export function runtimeMemberDomain(s: Pick<EtcdSettings, 'headlessServiceName' | 'clusterDomain'>): string {
  return `${s.headlessServiceName}.$(POD_NAMESPACE).svc.${s.clusterDomain}`;
}

/**
 * The member's static etcd settings as `ETCD_*` variables (every etcd flag has one). The
 * per-start settings (`ETCD_INITIAL_CLUSTER*`) are the entrypoint's, not these.
 */
export function etcdEnv(s: EtcdSettings): EnvEntry[] {
  const self = `$(POD_NAME).${runtimeMemberDomain(s)}`;
  const env: EnvEntry[] = [
    { name: 'ETCD_NAME', value: '$(POD_NAME)' },
    { name: 'ETCD_DATA_DIR', value: s.dataDir },
    { name: 'ETCD_LISTEN_PEER_URLS', value: `${s.peerScheme}://0.0.0.0:${s.peerPort}` },
    { name: 'ETCD_LISTEN_CLIENT_URLS', value: `${s.clientScheme}://0.0.0.0:${s.clientPort}` },
    { name: 'ETCD_LISTEN_METRICS_URLS', value: `http://0.0.0.0:${s.metricsPort}` },
    { name: 'ETCD_INITIAL_ADVERTISE_PEER_URLS', value: `${s.peerScheme}://${self}:${s.peerPort}` },
    { name: 'ETCD_ADVERTISE_CLIENT_URLS', value: `${s.clientScheme}://${self}:${s.clientPort}` },
    { name: 'ETCD_INITIAL_CLUSTER_TOKEN', value: s.initialClusterToken },
    { name: 'ETCD_LOG_LEVEL', value: s.logLevel },
    { name: 'ETCD_HEARTBEAT_INTERVAL', value: `${s.heartbeatInterval.toMilliseconds()}` },
    { name: 'ETCD_ELECTION_TIMEOUT', value: `${s.electionTimeout.toMilliseconds()}` },
    { name: 'ETCD_QUOTA_BACKEND_BYTES', value: `${s.quotaBackendBytes}` },
  ];
  if (s.snapshotCount !== undefined) {
    env.push({ name: 'ETCD_SNAPSHOT_COUNT', value: `${s.snapshotCount}` });
  }
  if (s.autoCompaction) {
    env.push({ name: 'ETCD_AUTO_COMPACTION_MODE', value: s.autoCompaction.mode });
    env.push({ name: 'ETCD_AUTO_COMPACTION_RETENTION', value: s.autoCompaction.retention });
  }
  if (s.maxRequestBytes !== undefined) {
    env.push({ name: 'ETCD_MAX_REQUEST_BYTES', value: `${s.maxRequestBytes}` });
  }
  if (s.maxProcs !== undefined) {
    env.push({ name: 'GOMAXPROCS', value: `${s.maxProcs}` });
  }
  return env;
}

/**
 * Variables the construct sets itself, with the prop to use instead. `extraEnv` may not set them.
 */
export const OWNED_ENV: { readonly [name: string]: string } = {
  ETCD_NAME: 'nothing: a member is named after its pod',
  ETCD_DATA_DIR: '`persistence.mountPath`',
  ETCD_LISTEN_PEER_URLS: '`ports.peer` (and `tls` for the scheme)',
  ETCD_LISTEN_CLIENT_URLS: '`ports.client` (and `tls` for the scheme)',
  ETCD_LISTEN_METRICS_URLS: '`ports.metrics`',
  ETCD_INITIAL_ADVERTISE_PEER_URLS: '`ports.peer` and `clusterDomain`',
  ETCD_ADVERTISE_CLIENT_URLS: '`ports.client` and `clusterDomain`',
  ETCD_INITIAL_CLUSTER: '`replicas` (the entrypoint computes the member list)',
  ETCD_INITIAL_CLUSTER_STATE: 'nothing: the entrypoint decides between a new and an existing cluster',
  ETCD_INITIAL_CLUSTER_TOKEN: '`initialClusterToken`',
  ETCD_LOG_LEVEL: '`logLevel`',
  ETCD_HEARTBEAT_INTERVAL: '`heartbeatInterval`',
  ETCD_ELECTION_TIMEOUT: '`electionTimeout`',
  ETCD_SNAPSHOT_COUNT: '`snapshotCount`',
  ETCD_QUOTA_BACKEND_BYTES: '`quotaBackendBytes`',
  ETCD_AUTO_COMPACTION_MODE: '`autoCompaction`',
  ETCD_AUTO_COMPACTION_RETENTION: '`autoCompaction`',
  ETCD_MAX_REQUEST_BYTES: '`maxRequestBytes`',
  GOMAXPROCS: '`maxProcs`',
  ETCD_METRICS: '`metrics.level`',
  POD_NAME: 'nothing: it is the downward API\'s pod name',
  POD_NAMESPACE: 'nothing: it is the downward API\'s namespace',
  POD_IP: 'nothing: it is the downward API\'s pod IP',
  PATH: 'nothing: the runtime scripts need the tools on the PATH',
};

/** Prefix of the variables the runtime scripts read; all reserved. */
export const RUNTIME_ENV_PREFIX = 'ETCDK8S_';
