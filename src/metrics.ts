/**
 * Metrics and alerts: Prometheus scrape annotations, a `metrics` port on the client Service, a
 * PodMonitor or ServiceMonitor (Prometheus Operator), and a PrometheusRule with the upstream etcd
 * alerts scoped to this cluster.
 */
import { ApiObject, Duration, Lazy, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { ClusterFacts } from './facts';
import { PodMonitor, PodMonitorSpecPodMetricsEndpoints } from './imports/podmonitors-monitoring.coreos.com';
import { PrometheusRule, PrometheusRuleSpecGroupsRules, PrometheusRuleSpecGroupsRulesExpr } from './imports/prometheusrules-monitoring.coreos.com';
import { ServiceMonitor, ServiceMonitorSpecEndpoints } from './imports/servicemonitors-monitoring.coreos.com';
import { quorum } from './topology';

/**
 * How many metrics etcd exports (`--metrics`).
 */
export enum MetricsLevel {
  /** etcd's default. */
  BASIC = 'basic',
  /** Adds the gRPC server latency histograms (`grpc_server_handling_seconds`), which `etcdGRPCRequestsSlow` needs. */
  EXTENSIVE = 'extensive',
}

/**
 * The member port Prometheus scrapes.
 */
export enum ScrapePort {
  /** The plain-HTTP metrics and health listener (`--listen-metrics-urls`). */
  METRICS = 'metrics',
  /** The client port, which serves `/metrics` too (with client TLS, over HTTPS). */
  CLIENT = 'client',
}

/**
 * HTTP scheme of a scrape.
 */
export enum ScrapeScheme {
  /** Plain HTTP. */
  HTTP = 'http',
  /** HTTPS. */
  HTTPS = 'https',
}

/**
 * What a relabeling rule does.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
 */
export enum RelabelAction {
  /** Write `replacement` (with the regex's groups) to `targetLabel` when `regex` matches. */
  REPLACE = 'replace',
  /** Drop targets or series whose source labels do not match `regex`. */
  KEEP = 'keep',
  /** Drop targets or series whose source labels match `regex`. */
  DROP = 'drop',
  /** Set `targetLabel` to the hash of the source labels modulo `modulus`. */
  HASHMOD = 'hashmod',
  /** Copy the labels whose names match `regex` to the names given by `replacement`. */
  LABEL_MAP = 'labelmap',
  /** Remove the labels whose names match `regex`. */
  LABEL_DROP = 'labeldrop',
  /** Keep only the labels whose names match `regex`. */
  LABEL_KEEP = 'labelkeep',
  /** Write the lower-cased source labels to `targetLabel`. */
  LOWERCASE = 'lowercase',
  /** Write the upper-cased source labels to `targetLabel`. */
  UPPERCASE = 'uppercase',
  /** Keep targets or series whose source labels equal `targetLabel`. */
  KEEP_EQUAL = 'keepequal',
  /** Drop targets or series whose source labels equal `targetLabel`. */
  DROP_EQUAL = 'dropequal',
}

/**
 * Severity label of an alert.
 */
export enum AlertSeverity {
  /** Needs someone now. */
  CRITICAL = 'critical',
  /** Needs attention soon. */
  WARNING = 'warning',
  /** For information. */
  INFO = 'info',
}

/**
 * A Prometheus relabeling rule, applied to targets (`relabelings`) or to scraped series
 * (`metricRelabelings`).
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
 */
export interface EtcdRelabeling {
  /**
   * What the rule does.
   * @default RelabelAction.REPLACE
   */
  readonly action?: RelabelAction;
  /**
   * Labels whose values are joined with `separator` and matched against `regex`.
   * @default - none
   */
  readonly sourceLabels?: string[];
  /**
   * Separator of the joined source label values.
   * @default ';'
   */
  readonly separator?: string;
  /**
   * Label to write. Required by REPLACE, HASHMOD, LOWERCASE, UPPERCASE, KEEP_EQUAL and DROP_EQUAL.
   * @default - none
   */
  readonly targetLabel?: string;
  /**
   * Regular expression (RE2, anchored) matched against the joined source label values.
   * @default '(.*)'
   */
  readonly regex?: string;
  /**
   * Modulus of HASHMOD.
   * @default - none (required by HASHMOD)
   */
  readonly modulus?: number;
  /**
   * Value REPLACE writes; `$1` and so on refer to the regex's groups.
   * @default '$1'
   */
  readonly replacement?: string;
}

/**
 * TLS settings of a scrape over HTTPS. The Secrets must be in the monitor's namespace, where the
 * Prometheus Operator reads them.
 */
export interface EtcdScrapeTlsConfig {
  /**
   * CA bundle that verifies the members' serving certificates.
   * @default - the system's roots
   */
  readonly ca?: kplus.SecretValue;
  /**
   * Client certificate, for a client port that requires one (use it with `key`).
   * @default - none
   */
  readonly cert?: kplus.SecretValue;
  /**
   * Key of the client certificate (use it with `cert`).
   * @default - none
   */
  readonly key?: kplus.SecretValue;
  /**
   * Name the serving certificate must carry.
   * @default - the target's address
   */
  readonly serverName?: string;
  /**
   * Skip verifying the serving certificate.
   * @default false
   */
  readonly insecureSkipVerify?: boolean;
}

/**
 * A PodMonitor or ServiceMonitor (Prometheus Operator) for the members. Every scraped series gets
 * the label `etcd_cluster="<cluster name>"`, on which the alerts select.
 */
export interface EtcdMonitorOptions {
  /**
   * Render the monitor (needs `metrics.enabled`).
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Namespace of the monitor. A monitor outside the cluster's namespace selects it with
   * `namespaceSelector`, so the chart must have a namespace then.
   * @default - the cluster's namespace
   */
  readonly namespace?: string;
  /**
   * Labels of the monitor in addition to the cluster's, e.g. the ones your Prometheus selects
   * monitors by (`release: kube-prometheus-stack`).
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Scrape interval. The alerts' peer-failure window is four intervals.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
  /**
   * Scrape timeout, at most `interval`.
   * @default - Prometheus' global scrape timeout, capped at the interval
   */
  readonly scrapeTimeout?: Duration;
  /**
   * The member port to scrape.
   * @default ScrapePort.METRICS
   */
  readonly port?: ScrapePort;
  /**
   * Scheme of the scrape. The metrics port is always plain HTTP.
   * @default - HTTP on the metrics port, the client scheme on the client port
   */
  readonly scheme?: ScrapeScheme;
  /**
   * TLS settings, for HTTPS.
   * @default - none
   */
  readonly tlsConfig?: EtcdScrapeTlsConfig;
  /**
   * Keep the scraped series' labels when they collide with the target's labels.
   * @default false
   */
  readonly honorLabels?: boolean;
  /**
   * Target relabelings, applied after the one that sets `etcd_cluster`.
   * @default - none
   */
  readonly relabelings?: EtcdRelabeling[];
  /**
   * Relabelings of the scraped series (e.g. to drop metrics you do not store).
   * @default - none
   */
  readonly metricRelabelings?: EtcdRelabeling[];
}

/**
 * Thresholds of the default alerts. Each names the alert it belongs to.
 */
export interface EtcdAlertThresholds {
  /**
   * etcdHighNumberOfLeaderChanges: leader changes within 15 minutes.
   * @default 4
   */
  readonly leaderChanges?: number;
  /**
   * etcdHighNumberOfFailedGRPCRequests (warning): percentage of failed requests of a gRPC method.
   * @default 1
   */
  readonly failedGrpcRequestsWarningPercent?: number;
  /**
   * etcdHighNumberOfFailedGRPCRequests (critical): percentage of failed requests of a gRPC method.
   * @default 5
   */
  readonly failedGrpcRequestsCriticalPercent?: number;
  /**
   * etcdGRPCRequestsSlow: 99th percentile latency of unary gRPC requests.
   * @default Duration.millis(150)
   */
  readonly grpcRequestLatency?: Duration;
  /**
   * etcdMemberCommunicationSlow: 99th percentile of the round-trip time to a peer.
   * @default Duration.millis(150)
   */
  readonly peerRoundTripTime?: Duration;
  /**
   * etcdHighNumberOfFailedProposals: failed proposals per second, averaged over 15 minutes.
   * @default 5
   */
  readonly failedProposalsPerSecond?: number;
  /**
   * etcdHighFsyncDurations (warning): 99th percentile of WAL fsync durations.
   * @default Duration.millis(500)
   */
  readonly fsyncDurationWarning?: Duration;
  /**
   * etcdHighFsyncDurations (critical): 99th percentile of WAL fsync durations.
   * @default Duration.seconds(1)
   */
  readonly fsyncDurationCritical?: Duration;
  /**
   * etcdHighCommitDurations: 99th percentile of backend commit durations.
   * @default Duration.millis(250)
   */
  readonly commitDuration?: Duration;
  /**
   * etcdDatabaseQuotaLowSpace: database size as a percentage of the quota.
   * @default 95
   */
  readonly databaseQuotaUsedPercent?: number;
  /**
   * etcdExcessiveDatabaseGrowth: how far ahead (and how far back) the growth is extrapolated.
   * @default Duration.hours(4)
   */
  readonly databaseGrowthHorizon?: Duration;
  /**
   * etcdDatabaseHighFragmentationRatio: the alert fires below this ratio of in-use to allocated
   * database size (between 0 and 1).
   * @default 0.5
   */
  readonly fragmentationInUseRatio?: number;
  /**
   * etcdDatabaseHighFragmentationRatio: only databases with more data in use than this.
   * @default Size.mebibytes(100)
   */
  readonly fragmentationMinInUseSize?: Size;
}

/**
 * An alerting rule of your own, added to the cluster's PrometheusRule.
 */
export interface EtcdAlertRule {
  /** Name of the alert (`alertname`). */
  readonly name: string;
  /**
   * PromQL expression. Use `EtcdMetrics.seriesSelector` to select this cluster's series.
   */
  readonly expression: string;
  /**
   * How long the expression must hold before the alert fires (`for`).
   * @default - fires at once
   */
  readonly pendingFor?: Duration;
  /**
   * Severity label.
   * @default AlertSeverity.WARNING
   */
  readonly severity?: AlertSeverity;
  /**
   * `summary` annotation.
   * @default - none
   */
  readonly summary?: string;
  /**
   * `description` annotation.
   * @default - none
   */
  readonly description?: string;
  /**
   * More labels (not `severity`: use `severity`).
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * More annotations.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/**
 * The PrometheusRule: upstream etcd's alerts (`contrib/mixin`), scoped to this cluster, plus your own.
 */
export interface EtcdPrometheusRuleOptions {
  /**
   * Render the PrometheusRule (needs `metrics.enabled`).
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Namespace of the PrometheusRule.
   * @default - the cluster's namespace
   */
  readonly namespace?: string;
  /**
   * Labels of the PrometheusRule in addition to the cluster's, e.g. the ones your Prometheus
   * selects rules by.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Render the default alerts (see `EtcdMetrics.defaultAlertNames()`).
   * @default true
   */
  readonly defaultAlerts?: boolean;
  /**
   * Default alerts to leave out, by name (an alert with a warning and a critical rule loses both).
   * @default - none
   */
  readonly disabledAlerts?: string[];
  /**
   * Thresholds of the default alerts.
   * @default - upstream's
   */
  readonly thresholds?: EtcdAlertThresholds;
  /**
   * Severity of default alerts, by name. Alerts with a warning and a critical rule keep both.
   * @default - upstream's
   */
  readonly severities?: { [alert: string]: AlertSeverity };
  /**
   * Labels of every alert (default and your own), e.g. for routing. Not `severity`.
   * @default - none
   */
  readonly alertLabels?: { [key: string]: string };
  /**
   * Alerts of your own.
   * @default - none
   */
  readonly extraAlerts?: EtcdAlertRule[];
  /**
   * Label matchers (without braces) that select this cluster's series, for when you scrape the
   * members with your own scrape configuration, e.g. `job="etcd", namespace="db"`.
   * @default - `etcd_cluster="<name>"`, and `namespace="<namespace>"` when the chart has a
   * namespace: the labels the construct's PodMonitor or ServiceMonitor give the series
   */
  readonly seriesSelector?: string;
  /**
   * Labels that tell the members apart, dropped when alerts aggregate over the cluster (upstream's
   * `etcd_instance_labels`).
   * @default ['instance', 'pod']
   */
  readonly instanceLabels?: string[];
}

/**
 * Metrics and alerts. The members always serve `/metrics` on the plain-HTTP metrics port (the probes
 * use that listener too); these options advertise it to Prometheus.
 */
export interface EtcdMetricsOptions {
  /**
   * Advertise the members' metrics: Prometheus scrape annotations on the pods and a `metrics` port
   * on the client Service. Needed by the monitors and the PrometheusRule.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Add the `prometheus.io/scrape`, `/port` and `/path` annotations to the pods when `enabled`.
   * Turn them off when a monitor scrapes the members and your Prometheus also honours the
   * annotations, so the members are not scraped twice.
   * @default true
   */
  readonly scrapeAnnotations?: boolean;
  /**
   * Which metrics etcd exports (`--metrics`).
   * @default - EXTENSIVE when the PrometheusRule has etcdGRPCRequestsSlow, else BASIC
   */
  readonly level?: MetricsLevel;
  /**
   * A PodMonitor that scrapes the member pods.
   * @default - none
   */
  readonly podMonitor?: EtcdMonitorOptions;
  /**
   * A ServiceMonitor that scrapes the members through the client Service.
   * @default - none
   */
  readonly serviceMonitor?: EtcdMonitorOptions;
  /**
   * A PrometheusRule with the upstream etcd alerts.
   * @default - none
   */
  readonly prometheusRule?: EtcdPrometheusRuleOptions;
}

/** The label every series scraped by the construct's monitors carries. */
const CLUSTER_LABEL = 'etcd_cluster';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A DNS-1123 label (a namespace name): at most 63 characters. */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MATCHER = '\\s*[a-zA-Z_][a-zA-Z0-9_]*\\s*(=~|!~|!=|=)\\s*"(?:[^"\\\\\\n]|\\\\.)*"\\s*';
const MATCHERS = new RegExp(`^${MATCHER}(,${MATCHER})*,?\\s*$`);
const FAILED_GRPC_CODES = 'Unknown|FailedPrecondition|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded';
/** Relabel actions that write `targetLabel`. */
const NEEDS_TARGET = new Set([RelabelAction.REPLACE, RelabelAction.HASHMOD, RelabelAction.LOWERCASE, RelabelAction.UPPERCASE,
  RelabelAction.KEEP_EQUAL, RelabelAction.DROP_EQUAL]);

/** The default alerts; the two with a warning and a critical rule appear once. */
const DEFAULT_ALERTS = [
  'etcdMembersDown',
  'etcdInsufficientMembers',
  'etcdNoLeader',
  'etcdHighNumberOfLeaderChanges',
  'etcdHighNumberOfFailedGRPCRequests',
  'etcdGRPCRequestsSlow',
  'etcdMemberCommunicationSlow',
  'etcdHighNumberOfFailedProposals',
  'etcdHighFsyncDurations',
  'etcdHighCommitDurations',
  'etcdDatabaseQuotaLowSpace',
  'etcdExcessiveDatabaseGrowth',
  'etcdDatabaseHighFragmentationRatio',
];
const TWO_SEVERITIES = new Set(['etcdHighNumberOfFailedGRPCRequests', 'etcdHighFsyncDurations']);
const GRPC_SLOW = 'etcdGRPCRequestsSlow';

/** One alerting rule as rendered. */
interface AlertDefinition {
  readonly name: string;
  readonly severity: AlertSeverity;
  readonly pendingFor?: string;
  readonly expr: string;
  readonly labels?: { [key: string]: string };
  readonly annotations: { [key: string]: string };
}

/** Resolved thresholds, in the units the expressions use (seconds, bytes, ratios). */
interface Thresholds {
  readonly leaderChanges: number;
  readonly grpcWarn: number;
  readonly grpcCrit: number;
  readonly grpcLatency: number;
  readonly rtt: number;
  readonly proposals: number;
  readonly fsyncWarn: number;
  readonly fsyncCrit: number;
  readonly commit: number;
  readonly quotaPercent: number;
  readonly growthHorizon: string;
  readonly growthHorizonSeconds: number;
  readonly growthHorizonText: string;
  readonly fragmentationRatio: number;
  readonly fragmentationMinBytes: number;
}

/**
 * The cluster's metrics: scrape annotations, the client Service's `metrics` port, a PodMonitor or
 * ServiceMonitor, and a PrometheusRule. Created by `EtcdCluster` from its `metrics` prop.
 */
export class EtcdMetrics extends Construct {
  /**
   * Names of the default alerts, which `disabledAlerts` and `severities` refer to.
   */
  public static defaultAlertNames(): string[] {
    return [...DEFAULT_ALERTS];
  }

  /** Whether the metrics are advertised (annotations, Service port); the network policy admits scrapes then. */
  public readonly enabled: boolean;
  /** The members' plain-HTTP metrics port. */
  public readonly port: number;
  /**
   * The member port Prometheus scrapes: the metrics port, or the client port when a monitor scrapes
   * that (`ScrapePort.CLIENT`). The network policy admits scrapes on it when `enabled`.
   */
  public readonly scrapePort: number;
  /** Which metrics etcd exports. */
  public readonly level: MetricsLevel;
  /** The PodMonitor, when there is one. */
  public readonly podMonitor?: ApiObject;
  /** The ServiceMonitor, when there is one. */
  public readonly serviceMonitor?: ApiObject;
  /** The PrometheusRule, when there is one. */
  public readonly prometheusRule?: ApiObject;
  /**
   * Label matchers (without braces) that select this cluster's series, as the alerts use them, e.g.
   * `etcd_cluster="etcd", namespace="db"`. Undefined when nothing labels the series (no monitor
   * and no `prometheusRule.seriesSelector`).
   */
  public readonly seriesSelector?: string;

  private readonly facts: ClusterFacts;
  private readonly alerts: AlertDefinition[] = [];
  private readonly alertLabels: { [key: string]: string };

  constructor(cluster: EtcdCluster, id: string, options: EtcdMetricsOptions = {}) {
    super(cluster, id);
    const facts = cluster._facts;
    this.facts = facts;
    this.enabled = options.enabled ?? false;
    this.port = facts.metricsPort;

    const pm = this.resolveMonitor('podMonitor', options.podMonitor);
    const sm = this.resolveMonitor('serviceMonitor', options.serviceMonitor);
    const rule = options.prometheusRule ?? {};
    const ruleEnabled = this.checkEnabled('prometheusRule', options.prometheusRule);
    if (pm && sm) {
      invalid(this, 'metrics.serviceMonitor.enabled', 'and `metrics.podMonitor.enabled` would scrape every member twice (and double every alert); choose one');
    }
    const monitor = pm ?? sm;
    this.scrapePort = monitor?.endpoint.port === ScrapePort.CLIENT ? facts.clientPort : this.port;

    this.alertLabels = { ...rule.alertLabels };
    if (ruleEnabled) {
      this.checkRuleLabels('metrics.prometheusRule.alertLabels', rule.alertLabels);
      this.seriesSelector = this.resolveSelector(rule, monitor !== undefined);
    } else if (monitor) {
      this.seriesSelector = this.defaultSelector();
    }

    const grpcSlowAlert = ruleEnabled && (rule.defaultAlerts ?? true) && !(rule.disabledAlerts ?? []).includes(GRPC_SLOW);
    this.level = options.level ?? (grpcSlowAlert ? MetricsLevel.EXTENSIVE : MetricsLevel.BASIC);
    if (grpcSlowAlert && this.level !== MetricsLevel.EXTENSIVE) {
      invalid(this, 'metrics.level', `BASIC leaves ${GRPC_SLOW} without its metric (grpc_server_handling_seconds); use EXTENSIVE or add it to \`metrics.prometheusRule.disabledAlerts\``);
    }
    if (this.level === MetricsLevel.EXTENSIVE) {
      cluster._addToMembers({ env: [{ name: 'ETCD_METRICS', value: MetricsLevel.EXTENSIVE }] });
    }

    if (this.enabled) {
      if (options.scrapeAnnotations ?? true) {
        cluster._addToMembers({
          podAnnotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': `${this.port}`,
            'prometheus.io/path': '/metrics',
          },
        });
      }
      cluster._addClientServicePort({ name: 'metrics', port: this.port, targetPort: k8s.IntOrString.fromString('metrics') });
    }

    if (pm) {
      this.podMonitor = this.renderPodMonitor(cluster, pm);
    }
    if (sm) {
      this.serviceMonitor = this.renderServiceMonitor(cluster, sm);
    }
    if (ruleEnabled) {
      const interval = monitor?.intervalMs ?? 30_000;
      if (rule.defaultAlerts ?? true) {
        this.alerts.push(...this.defaultAlerts(rule, interval));
      }
      for (const [i, a] of (rule.extraAlerts ?? []).entries()) {
        this.addAlertAt(`metrics.prometheusRule.extraAlerts[${i}]`, a);
      }
      this.prometheusRule = this.renderPrometheusRule(cluster, rule);
    }
  }

  /**
   * Adds an alert of your own to the PrometheusRule (after construction, so its expression can use
   * `seriesSelector`).
   */
  public addAlert(rule: EtcdAlertRule): void {
    if (!this.prometheusRule) {
      invalid(this, 'metrics.prometheusRule.enabled', `must be set to add the alert "${rule.name}"`);
    }
    this.addAlertAt('addAlert', rule);
  }

  private addAlertAt(prop: string, a: EtcdAlertRule): void {
    if (!a.name || !a.name.trim()) {
      invalid(this, `${prop}.name`, 'must not be empty');
    }
    if (!a.expression || !a.expression.trim()) {
      invalid(this, `${prop}.expression`, `of "${a.name}" must be a PromQL expression`);
    }
    if (this.alerts.some(x => x.name === a.name)) {
      invalid(this, `${prop}.name`, `"${a.name}" is already an alert of this rule; give it another name, or disable the default one with \`metrics.prometheusRule.disabledAlerts\``);
    }
    this.checkRuleLabels(`${prop}.labels`, a.labels);
    const pendingFor = a.pendingFor && promDuration(this, `${prop}.pendingFor`, a.pendingFor, true);
    this.alerts.push({
      name: a.name,
      severity: a.severity ?? AlertSeverity.WARNING,
      pendingFor: pendingFor === '0s' ? undefined : pendingFor,
      expr: a.expression.trim(),
      labels: a.labels,
      annotations: {
        ...a.summary === undefined ? {} : { summary: a.summary },
        ...a.description === undefined ? {} : { description: a.description },
        ...a.annotations,
      },
    });
  }

  private checkRuleLabels(prop: string, labels: { [key: string]: string } | undefined): void {
    if (labels && 'severity' in labels) {
      invalid(this, prop, 'must not set `severity`; use the `severity` of the alert (or `metrics.prometheusRule.severities`)');
    }
    for (const name of Object.keys(labels ?? {})) {
      if (!LABEL_NAME.test(name)) {
        invalid(this, prop, `must be Prometheus label names (letters, digits and "_") (got "${name}")`);
      }
    }
  }

  /** Whether a monitor or rule is enabled; its settings without `enabled`, or either with metrics off, are errors. */
  private checkEnabled(prop: string, o: { readonly enabled?: boolean } | undefined): boolean {
    if (!o) {
      return false;
    }
    if (!o.enabled) {
      const set = Object.entries(o).filter(([k, v]) => k !== 'enabled' && v !== undefined).map(([k]) => k);
      if (set.length) {
        invalid(this, `metrics.${prop}.enabled`, `is ${o.enabled === false ? 'false' : 'not set'}, so ${set.join(', ')} would have no effect; `
          + 'set it to true or remove the settings');
      }
      return false;
    }
    if (!this.enabled) {
      invalid(this, `metrics.${prop}.enabled`, 'needs `metrics.enabled`: the monitors and alerts rely on the advertised metrics port');
    }
    return true;
  }

  private resolveMonitor(prop: 'podMonitor' | 'serviceMonitor', o: EtcdMonitorOptions | undefined) {
    if (!this.checkEnabled(prop, o) || !o) {
      return undefined;
    }
    const p = `metrics.${prop}`;
    const interval = o.interval ?? Duration.seconds(30);
    const intervalText = promDuration(this, `${p}.interval`, interval, false);
    const intervalMs = interval.toMilliseconds({ integral: false });
    const timeoutText = o.scrapeTimeout && promDuration(this, `${p}.scrapeTimeout`, o.scrapeTimeout, false);
    if (o.scrapeTimeout && o.scrapeTimeout.toMilliseconds({ integral: false }) > intervalMs) {
      invalid(this, `${p}.scrapeTimeout`, `(${timeoutText}) must not be longer than the interval (${intervalText})`);
    }
    const port = o.port ?? ScrapePort.METRICS;
    const scheme = o.scheme ?? (port === ScrapePort.METRICS ? ScrapeScheme.HTTP : this.facts.clientScheme as ScrapeScheme);
    if (port === ScrapePort.METRICS && scheme === ScrapeScheme.HTTPS) {
      invalid(this, `${p}.scheme`, 'cannot be HTTPS on the metrics port, which is plain HTTP; use `port: ScrapePort.CLIENT` to scrape the client port over TLS');
    }
    const tls = o.tlsConfig;
    if (tls && scheme !== ScrapeScheme.HTTPS) {
      invalid(this, `${p}.tlsConfig`, 'needs `scheme` HTTPS (a scrape over plain HTTP uses no TLS)');
    }
    if (tls && !tls.cert !== !tls.key) {
      invalid(this, `${p}.tlsConfig`, 'needs both `cert` and `key`, or neither');
    }
    const namespace = o.namespace ?? this.facts.namespace;
    if (o.namespace !== undefined && !DNS_LABEL.test(o.namespace)) {
      invalid(this, `${p}.namespace`, `must be a namespace name (got "${o.namespace}")`);
    }
    if (o.namespace !== undefined && this.facts.namespace === undefined) {
      invalid(this, `${p}.namespace`, 'needs the cluster\'s namespace, to select the members from another namespace; give the chart a namespace');
    }
    const relabelings = [
      // The label the alerts select on: the target's own labels (job, namespace, pod) differ between setups.
      { action: RelabelAction.REPLACE, targetLabel: CLUSTER_LABEL, replacement: this.facts.name },
      ...this.relabelings(`${p}.relabelings`, o.relabelings),
    ];
    const metricRelabelings = this.relabelings(`${p}.metricRelabelings`, o.metricRelabelings);
    return {
      intervalMs,
      namespace,
      labels: o.labels,
      endpoint: {
        port,
        path: '/metrics',
        scheme,
        interval: intervalText,
        scrapeTimeout: timeoutText,
        honorLabels: o.honorLabels || undefined,
        relabelings,
        metricRelabelings: metricRelabelings.length ? metricRelabelings : undefined,
        tlsConfig: tls && {
          ca: tls.ca && { secret: secretKey(tls.ca) },
          cert: tls.cert && { secret: secretKey(tls.cert) },
          keySecret: tls.key && secretKey(tls.key),
          serverName: tls.serverName,
          insecureSkipVerify: tls.insecureSkipVerify,
        },
      },
    };
  }

  private relabelings(prop: string, list: EtcdRelabeling[] | undefined): Relabeling[] {
    return (list ?? []).map((r, i) => {
      const action = r.action ?? RelabelAction.REPLACE;
      if (NEEDS_TARGET.has(action) && !r.targetLabel) {
        invalid(this, `${prop}[${i}].targetLabel`, `is required by the ${action} action`);
      }
      if (r.targetLabel !== undefined && action !== RelabelAction.KEEP_EQUAL && action !== RelabelAction.DROP_EQUAL
        && !/^[a-zA-Z_$][a-zA-Z0-9_${}]*$/.test(r.targetLabel)) {
        invalid(this, `${prop}[${i}].targetLabel`, `must be a label name (got "${r.targetLabel}")`);
      }
      if ((action === RelabelAction.HASHMOD || r.modulus !== undefined) && !(Number.isInteger(r.modulus) && r.modulus! > 0)) {
        invalid(this, `${prop}[${i}].modulus`, `must be a whole number of at least 1 for HASHMOD (got ${r.modulus})${action === RelabelAction.HASHMOD ? '' : '; other actions ignore it'}`);
      }
      for (const l of r.sourceLabels ?? []) {
        if (!LABEL_NAME.test(l)) {
          invalid(this, `${prop}[${i}].sourceLabels`, `must be label names (got "${l}")`);
        }
      }
      return {
        action,
        sourceLabels: r.sourceLabels?.length ? [...r.sourceLabels] : undefined,
        separator: r.separator,
        targetLabel: r.targetLabel,
        regex: r.regex,
        modulus: r.modulus,
        replacement: r.replacement,
      };
    });
  }

  private monitorMetadata(cluster: EtcdCluster, m: ResolvedMonitor) {
    const metadata = cluster._metadata(this.facts.name, 'metrics', m.labels);
    return m.namespace === undefined ? metadata : { ...metadata, namespace: m.namespace };
  }

  private namespaceSelector() {
    return this.facts.namespace === undefined ? undefined : { matchNames: [this.facts.namespace] };
  }

  private renderPodMonitor(cluster: EtcdCluster, m: ResolvedMonitor): ApiObject {
    return new PodMonitor(this, 'PodMonitor', {
      metadata: this.monitorMetadata(cluster, m),
      spec: {
        selector: { matchLabels: { ...this.facts.selector } },
        namespaceSelector: this.namespaceSelector(),
        podMetricsEndpoints: [m.endpoint as unknown as PodMonitorSpecPodMetricsEndpoints],
      },
    });
  }

  private renderServiceMonitor(cluster: EtcdCluster, m: ResolvedMonitor): ApiObject {
    const endpoint = {
      ...m.endpoint,
      relabelings: [
        // The headless Service has the same labels (and a `client` port): keep the client Service only.
        { action: RelabelAction.KEEP, sourceLabels: ['__meta_kubernetes_service_name'], regex: this.facts.topology.clientServiceName },
        ...m.endpoint.relabelings,
      ],
    };
    return new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: this.monitorMetadata(cluster, m),
      spec: {
        // The Services' labels: both Services have them, the relabeling above keeps the client one.
        selector: { matchLabels: { ...this.facts.selector } },
        namespaceSelector: this.namespaceSelector(),
        endpoints: [endpoint as unknown as ServiceMonitorSpecEndpoints],
      },
    });
  }

  private renderPrometheusRule(cluster: EtcdCluster, o: EtcdPrometheusRuleOptions): ApiObject {
    if (o.namespace !== undefined && !DNS_LABEL.test(o.namespace)) {
      invalid(this, 'metrics.prometheusRule.namespace', `must be a namespace name (got "${o.namespace}")`);
    }
    const namespace = o.namespace ?? this.facts.namespace;
    const metadata = cluster._metadata(this.facts.name, 'metrics', o.labels);
    const rules = Lazy.any({ produce: () => this.renderRules() });
    return new PrometheusRule(this, 'PrometheusRule', {
      metadata: namespace === undefined ? metadata : { ...metadata, namespace },
      spec: { groups: [{ name: this.facts.name, rules }] },
    });
  }

  private renderRules(): PrometheusRuleSpecGroupsRules[] {
    if (!this.alerts.length) {
      invalid(this, 'metrics.prometheusRule', 'has no alerts: keep `defaultAlerts`, or add `extraAlerts`');
    }
    return this.alerts.map(a => ({
      alert: a.name,
      expr: PrometheusRuleSpecGroupsRulesExpr.fromString(a.expr),
      for: a.pendingFor,
      labels: { ...this.alertLabels, ...a.labels, severity: a.severity },
      annotations: Object.keys(a.annotations).length ? a.annotations : undefined,
    }));
  }

  private defaultSelector(): string {
    const ns = this.facts.namespace;
    return `${CLUSTER_LABEL}="${this.facts.name}"${ns === undefined ? '' : `, namespace="${ns}"`}`;
  }

  private resolveSelector(o: EtcdPrometheusRuleOptions, monitored: boolean): string {
    if (o.seriesSelector === undefined) {
      if (!monitored) {
        invalid(this, 'metrics.prometheusRule.seriesSelector', 'is needed without `metrics.podMonitor` or `metrics.serviceMonitor` '
          + '(which label the series with etcd_cluster): give the label matchers that select this cluster\'s series in your scrape configuration');
      }
      return this.defaultSelector();
    }
    const s = o.seriesSelector.trim().replace(/,$/, '').trim();
    if (!s || !MATCHERS.test(s)) {
      invalid(this, 'metrics.prometheusRule.seriesSelector', `must be label matchers without braces, such as \`job="etcd", namespace="db"\` (got \`${o.seriesSelector}\`)`);
    }
    return s;
  }

  private thresholds(o: EtcdAlertThresholds): Thresholds {
    const p = 'metrics.prometheusRule.thresholds';
    const number = (prop: keyof EtcdAlertThresholds, value: number | undefined, fallback: number, ok: (v: number) => boolean, what: string) => {
      const v = value ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
        invalid(this, `${p}.${prop}`, `must be ${what} (got ${v})`);
      }
      return v;
    };
    const percent = (v: number) => v > 0 && v <= 100;
    const seconds = (prop: keyof EtcdAlertThresholds, value: Duration | undefined, fallback: Duration) => {
      const ms = (value ?? fallback).toMilliseconds({ integral: false });
      if (!(ms > 0)) {
        invalid(this, `${p}.${prop}`, `must be longer than zero (got ${(value ?? fallback).toHumanString()})`);
      }
      return ms / 1000;
    };
    const leaderChanges = o.leaderChanges ?? 4;
    if (!Number.isInteger(leaderChanges) || leaderChanges < 1) {
      invalid(this, `${p}.leaderChanges`, `must be a whole number of at least 1 (got ${leaderChanges})`);
    }
    const grpcWarn = number('failedGrpcRequestsWarningPercent', o.failedGrpcRequestsWarningPercent, 1, percent, 'a percentage above 0, at most 100');
    const grpcCrit = number('failedGrpcRequestsCriticalPercent', o.failedGrpcRequestsCriticalPercent, 5, percent, 'a percentage above 0, at most 100');
    if (grpcCrit <= grpcWarn) {
      invalid(this, `${p}.failedGrpcRequestsCriticalPercent`, `(${grpcCrit}) must be above the warning threshold (${grpcWarn})`);
    }
    const fsyncWarn = seconds('fsyncDurationWarning', o.fsyncDurationWarning, Duration.millis(500));
    const fsyncCrit = seconds('fsyncDurationCritical', o.fsyncDurationCritical, Duration.seconds(1));
    if (fsyncCrit <= fsyncWarn) {
      invalid(this, `${p}.fsyncDurationCritical`, `(${fsyncCrit}s) must be above the warning threshold (${fsyncWarn}s)`);
    }
    const horizon = o.databaseGrowthHorizon ?? Duration.hours(4);
    const growthHorizon = promDuration(this, `${p}.databaseGrowthHorizon`, horizon, false);
    const horizonMs = horizon.toMilliseconds({ integral: false });
    if (horizonMs % 1000 !== 0) {
      invalid(this, `${p}.databaseGrowthHorizon`, `must be whole seconds (got ${horizon.toHumanString()})`);
    }
    const minSize = o.fragmentationMinInUseSize ?? Size.mebibytes(100);
    const minBytes = minSize.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
    if (!Number.isInteger(minBytes) || minBytes < 0) {
      invalid(this, `${p}.fragmentationMinInUseSize`, `must be a whole number of bytes (got ${minBytes})`);
    }
    return {
      leaderChanges,
      grpcWarn,
      grpcCrit,
      grpcLatency: seconds('grpcRequestLatency', o.grpcRequestLatency, Duration.millis(150)),
      rtt: seconds('peerRoundTripTime', o.peerRoundTripTime, Duration.millis(150)),
      proposals: number('failedProposalsPerSecond', o.failedProposalsPerSecond, 5, v => v > 0, 'a rate above 0'),
      fsyncWarn,
      fsyncCrit,
      commit: seconds('commitDuration', o.commitDuration, Duration.millis(250)),
      quotaPercent: number('databaseQuotaUsedPercent', o.databaseQuotaUsedPercent, 95, percent, 'a percentage above 0, at most 100'),
      growthHorizon,
      growthHorizonSeconds: horizonMs / 1000,
      growthHorizonText: horizon.toHumanString(),
      fragmentationRatio: number('fragmentationInUseRatio', o.fragmentationInUseRatio, 0.5, v => v > 0 && v < 1, 'a ratio above 0, below 1'),
      fragmentationMinBytes: minBytes,
    };
  }

  private defaultAlerts(o: EtcdPrometheusRuleOptions, intervalMs: number): AlertDefinition[] {
    const p = 'metrics.prometheusRule';
    const t = this.thresholds(o.thresholds ?? {});
    const disabled = new Set(o.disabledAlerts ?? []);
    for (const name of disabled) {
      if (!DEFAULT_ALERTS.includes(name)) {
        invalid(this, `${p}.disabledAlerts`, `names "${name}", which is not a default alert; the default alerts are ${DEFAULT_ALERTS.join(', ')}`);
      }
    }
    for (const name of Object.keys(o.severities ?? {})) {
      if (!DEFAULT_ALERTS.includes(name)) {
        invalid(this, `${p}.severities`, `names "${name}", which is not a default alert; the default alerts are ${DEFAULT_ALERTS.join(', ')}`);
      }
      if (TWO_SEVERITIES.has(name)) {
        invalid(this, `${p}.severities`, `cannot change "${name}": it has a warning and a critical rule; adjust their thresholds instead`);
      }
    }
    const instanceLabels = o.instanceLabels ?? ['instance', 'pod'];
    if (!instanceLabels.length || instanceLabels.some(l => !LABEL_NAME.test(l))) {
      invalid(this, `${p}.instanceLabels`, `must be one or more label names (got ${JSON.stringify(instanceLabels)})`);
    }

    const S = this.seriesSelector!;
    const IL = instanceLabels.join(', ');
    const ns = this.facts.namespace;
    const cluster = `etcd cluster "${ns === undefined ? '' : `${ns}/`}${this.facts.name}"`;
    const member = '{{ if $labels.pod }}{{ $labels.pod }}{{ else }}{{ $labels.instance }}{{ end }}';
    const need = quorum(this.facts.replicas);
    // Upstream uses four scrape intervals, so that a rate always sees a few samples.
    const failureRange = formatDuration(4 * intervalMs);
    const severity = (name: string, fallback: AlertSeverity) => o.severities?.[name] ?? fallback;
    const n = (x: number) => `${x}`;

    const all: AlertDefinition[] = [
      {
        name: 'etcdMembersDown',
        severity: severity('etcdMembersDown', AlertSeverity.WARNING),
        pendingFor: '20m',
        expr: `max without (endpoint) (
  sum without (${IL}) (up{${S}} == bool 0)
or
  count without (To) (
    sum without (${IL}) (rate(etcd_network_peer_sent_failures_total{${S}}[${failureRange}])) > 0.01
  )
)
> 0`,
        annotations: {
          summary: 'etcd cluster members are down.',
          description: `${cluster}: members are down ({{ $value }}).`,
        },
      },
      {
        // Upstream compares with half the scraped targets, which misses members that have no pod
        // (or no IP) and so no target; the desired size is known here.
        name: 'etcdInsufficientMembers',
        severity: severity('etcdInsufficientMembers', AlertSeverity.CRITICAL),
        pendingFor: '3m',
        expr: `sum without (${IL}) (up{${S}} == bool 1) < ${need}`,
        annotations: {
          summary: 'etcd cluster has insufficient number of members.',
          description: `${cluster}: insufficient members ({{ $value }} of ${this.facts.replicas} up, ${need} needed for quorum).`,
        },
      },
      {
        name: 'etcdNoLeader',
        severity: severity('etcdNoLeader', AlertSeverity.CRITICAL),
        pendingFor: '1m',
        expr: `etcd_server_has_leader{${S}} == 0`,
        annotations: {
          summary: 'etcd cluster has no leader.',
          description: `${cluster}: member ${member} has no leader.`,
        },
      },
      {
        name: 'etcdHighNumberOfLeaderChanges',
        severity: severity('etcdHighNumberOfLeaderChanges', AlertSeverity.WARNING),
        pendingFor: '5m',
        expr: `increase((max without (${IL}) (etcd_server_leader_changes_seen_total{${S}}) or 0*absent(etcd_server_leader_changes_seen_total{${S}}))[15m:1m]) >= ${n(t.leaderChanges)}`,
        annotations: {
          summary: 'etcd cluster has high number of leader changes.',
          description: `${cluster}: {{ $value }} leader changes within the last 15 minutes. Frequent elections may be a sign of insufficient `
            + 'resources, high network latency, or disruptions by other components and should be investigated.',
        },
      },
      ...[[AlertSeverity.WARNING, '10m', t.grpcWarn], [AlertSeverity.CRITICAL, '5m', t.grpcCrit]].map(([sev, pending, threshold]) => ({
        name: 'etcdHighNumberOfFailedGRPCRequests',
        severity: sev as AlertSeverity,
        pendingFor: pending as string,
        expr: `100 * sum without (grpc_type, grpc_code) (rate(grpc_server_handled_total{${S}, grpc_code=~"${FAILED_GRPC_CODES}"}[5m]))
  /
sum without (grpc_type, grpc_code) (rate(grpc_server_handled_total{${S}}[5m]))
  > ${n(threshold as number)}`,
        annotations: {
          summary: 'etcd cluster has high number of failed grpc requests.',
          description: `${cluster}: {{ $value }}% of requests for {{ $labels.grpc_method }} failed on etcd member ${member}.`,
        },
      })),
      {
        name: GRPC_SLOW,
        severity: severity(GRPC_SLOW, AlertSeverity.CRITICAL),
        pendingFor: '10m',
        expr: `histogram_quantile(0.99, sum without (grpc_type) (rate(grpc_server_handling_seconds_bucket{${S}, grpc_method!="Defragment", grpc_type="unary"}[5m])))
  > ${n(t.grpcLatency)}`,
        annotations: {
          summary: 'etcd grpc requests are slow.',
          description: `${cluster}: 99th percentile of gRPC requests is {{ $value }}s on etcd member ${member} for {{ $labels.grpc_method }} method.`,
        },
      },
      {
        name: 'etcdMemberCommunicationSlow',
        severity: severity('etcdMemberCommunicationSlow', AlertSeverity.WARNING),
        pendingFor: '10m',
        expr: `histogram_quantile(0.99, rate(etcd_network_peer_round_trip_time_seconds_bucket{${S}}[5m]))
  > ${n(t.rtt)}`,
        annotations: {
          summary: 'etcd cluster member communication is slow.',
          description: `${cluster}: member communication with {{ $labels.To }} is taking {{ $value }}s on etcd member ${member}.`,
        },
      },
      {
        name: 'etcdHighNumberOfFailedProposals',
        severity: severity('etcdHighNumberOfFailedProposals', AlertSeverity.WARNING),
        pendingFor: '15m',
        expr: `rate(etcd_server_proposals_failed_total{${S}}[15m]) > ${n(t.proposals)}`,
        annotations: {
          summary: 'etcd cluster has high number of proposal failures.',
          description: `${cluster}: {{ $value }} proposal failures per second over the last 15 minutes on etcd member ${member}.`,
        },
      },
      ...[[AlertSeverity.WARNING, t.fsyncWarn], [AlertSeverity.CRITICAL, t.fsyncCrit]].map(([sev, threshold]) => ({
        name: 'etcdHighFsyncDurations',
        severity: sev as AlertSeverity,
        pendingFor: '10m',
        expr: `histogram_quantile(0.99, rate(etcd_disk_wal_fsync_duration_seconds_bucket{${S}}[5m]))
  > ${n(threshold as number)}`,
        annotations: {
          summary: 'etcd cluster 99th percentile fsync durations are too high.',
          description: `${cluster}: 99th percentile fsync durations are {{ $value }}s on etcd member ${member}.`,
        },
      })),
      {
        name: 'etcdHighCommitDurations',
        severity: severity('etcdHighCommitDurations', AlertSeverity.WARNING),
        pendingFor: '10m',
        expr: `histogram_quantile(0.99, rate(etcd_disk_backend_commit_duration_seconds_bucket{${S}}[5m]))
  > ${n(t.commit)}`,
        annotations: {
          summary: 'etcd cluster 99th percentile commit durations are too high.',
          description: `${cluster}: 99th percentile commit durations {{ $value }}s on etcd member ${member}.`,
        },
      },
      {
        name: 'etcdDatabaseQuotaLowSpace',
        severity: severity('etcdDatabaseQuotaLowSpace', AlertSeverity.CRITICAL),
        pendingFor: '10m',
        expr: `(last_over_time(etcd_mvcc_db_total_size_in_bytes{${S}}[5m]) / last_over_time(etcd_server_quota_backend_bytes{${S}}[5m]))*100 > ${n(t.quotaPercent)}`,
        annotations: {
          summary: 'etcd cluster database is running full.',
          description: `${cluster}: database size is {{ $value | humanize }}% of the defined quota on etcd member ${member}, please defrag or `
            + 'increase the quota as the writes to etcd will be disabled when it is full.',
        },
      },
      {
        name: 'etcdExcessiveDatabaseGrowth',
        severity: severity('etcdExcessiveDatabaseGrowth', AlertSeverity.WARNING),
        pendingFor: '10m',
        expr: `predict_linear(etcd_mvcc_db_total_size_in_bytes{${S}}[${t.growthHorizon}], ${n(t.growthHorizonSeconds)}) > etcd_server_quota_backend_bytes{${S}}`,
        annotations: {
          summary: 'etcd cluster database growing very fast.',
          description: `${cluster}: Predicting running out of quota in the next ${t.growthHorizonText}, based on write observations within the past `
            + `${t.growthHorizonText} on etcd member ${member}, please check as it might be disruptive.`,
        },
      },
      {
        name: 'etcdDatabaseHighFragmentationRatio',
        severity: severity('etcdDatabaseHighFragmentationRatio', AlertSeverity.WARNING),
        pendingFor: '10m',
        expr: `(last_over_time(etcd_mvcc_db_total_size_in_use_in_bytes{${S}}[5m]) / last_over_time(etcd_mvcc_db_total_size_in_bytes{${S}}[5m])) < ${n(t.fragmentationRatio)}`
          + ` and etcd_mvcc_db_total_size_in_use_in_bytes{${S}} > ${n(t.fragmentationMinBytes)}`,
        annotations: {
          summary: `etcd database size in use is less than ${n(Math.round(t.fragmentationRatio * 10000) / 100)}% of the actual allocated storage.`,
          description: `${cluster}: database size in use on member ${member} is {{ $value | humanizePercentage }} of the actual allocated disk `
            + 'space, please run defragmentation (e.g. etcdctl defrag) to retrieve the unused fragmented disk space.',
          runbook_url: 'https://etcd.io/docs/v3.6/op-guide/maintenance/#defragmentation',
        },
      },
    ];
    return all.filter(a => !disabled.has(a.name));
  }
}

/** A relabeling as the monitors render it: the user's, with the action resolved. */
interface Relabeling extends EtcdRelabeling {
  readonly action: RelabelAction;
}

type ResolvedMonitor = NonNullable<ReturnType<EtcdMetrics['resolveMonitor']>>;

function secretKey(v: kplus.SecretValue) {
  return { name: v.secret.name, key: v.key };
}

/**
 * A Duration as Prometheus writes it (`30s`, `1m30s`, `250ms`): whole milliseconds, more than zero
 * unless `allowZero`.
 */
function promDuration(scope: Construct, prop: string, d: Duration, allowZero: boolean): string {
  const ms = d.toMilliseconds({ integral: false });
  if (!Number.isInteger(ms) || ms < (allowZero ? 0 : 1)) {
    invalid(scope, prop, `must be a whole number of milliseconds${allowZero ? '' : ' larger than zero'}, which Prometheus can express (got ${d.toHumanString()})`);
  }
  return formatDuration(ms);
}

function formatDuration(ms: number): string {
  if (ms === 0) {
    return '0s';
  }
  const units: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
