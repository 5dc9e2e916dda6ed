/**
 * Migration from the Bitnami etcd Helm chart (12.0.20): a values object becomes `EtcdClusterProps`.
 *
 * Every value of the chart is read. A value is mapped to the prop that does the same, or it is
 * "not needed" (the library has no such object or does it differently anyway), or it is reported:
 * one error lists every value that cannot be mapped, with the reason. docs/MIGRATION.md has the
 * value-by-value table.
 */
import { Chart, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AuthTokenType, EtcdAuthOptions, JwtSignMethod } from './auth';
import { EtcdDefragOptions } from './defrag';
import { EtcdDisasterRecoveryOptions, EtcdStartFromSnapshotOptions, SnapshotVolume } from './disaster-recovery';
import {
  EtcdClientServiceOptions, EtcdClusterProps, EtcdDisruptionBudgetOptions, EtcdPersistence, EtcdProbeOptions, EtcdProbes, EtcdSecurityContext,
  EtcdReconcileJobOptions, EtcdServiceAccountOptions, EtcdVolumeClaimTemplate, EtcdVolumeMount, ExternalTrafficPolicy, PvcRetention, SessionAffinity,
} from './etcd-cluster';
import { AutoCompaction, LogLevel, OWNED_ENV, RUNTIME_ENV_PREFIX } from './etcd-config';
import { EtcdImage, ImageOptions, ToolsImage } from './image';
import { DNS_LABEL } from './labels';
import {
  EtcdAlertRule, EtcdMetricsOptions, EtcdMonitorOptions, EtcdPrometheusRuleOptions, EtcdRelabeling, EtcdScrapeTlsConfig, AlertSeverity,
  EtcdMetrics, RelabelAction, ScrapePort, ScrapeScheme,
} from './metrics';
import { EtcdNetworkPolicyOptions, EtcdNetworkPolicyRule, NetworkPeer } from './network-policy';
import { ResourcesPreset } from './resources';
import {
  AffinityPreset, EtcdAffinity, EtcdNodeAffinityTerm, EtcdPodAffinityTerm, EtcdSchedulingOptions, EtcdToleration, EtcdTopologySpread,
  TolerationOperator, WhenUnsatisfiable,
} from './scheduling';
import { EtcdTlsOptions, TlsSource } from './tls';

/**
 * Options of `BitnamiValues.toProps`.
 */
export interface BitnamiMigrationOptions {
  /**
   * The Helm release name. Names are then what the chart renders: the StatefulSet and client
   * Service `<release>-etcd` (or the release name when it already contains `etcd`, or
   * `fullnameOverride`), the headless Service `<that>-headless`, the claims `data-<that>-<i>`.
   * @default - no release: the name comes from `fullnameOverride`, or the library derives one
   */
  readonly releaseName?: string;
  /**
   * The values describe a release that runs now and that the synthesized objects take over. Where
   * the chart generated something the values do not name, the mapping refers to the chart's object
   * instead of making a new one: the root password Secret `<fullname>` (key
   * `etcd-root-password`), the JWT key Secret `<fullname>-jwt-token` (key `jwt-token.pem`), and the
   * snapshot claim `<fullname>-snapshotter`. Without it, the library generates the password and
   * the JWT key at synth time and creates its own snapshot claim, as the chart does on install.
   * @default - true when `releaseName` is given
   */
  readonly adopt?: boolean;
}

/** A value the mapping cannot honour, with the reason. */
interface Issue {
  readonly path: string;
  readonly reason: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
// Free-form JSON from a values file.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type JsonMap = { [key: string]: Json };

const CHART = 'etcd chart 12.0.20';
const PODANNOTATIONS_TPL = '{{ .Values.metrics.useSeparateEndpoint | ternary .Values.containerPorts.metrics .Values.containerPorts.client }}';

/**
 * Every value of the chart with its default, in the chart's order: the 302 `@param`s, the two
 * `@skip`ped image tags (after their repositories) and, last, the values the templates read
 * although values.yaml does not declare them (default `undefined`).
 */
const DEFAULTS: ReadonlyArray<readonly [string, Json]> = [
  // Global parameters
  ['global.imageRegistry', ''],
  ['global.imagePullSecrets', []],
  ['global.defaultStorageClass', ''],
  ['global.security.allowInsecureImages', false],
  ['global.compatibility.openshift.adaptSecurityContext', 'auto'],
  // Common parameters
  ['kubeVersion', ''],
  ['nameOverride', ''],
  ['fullnameOverride', ''],
  ['namespaceOverride', ''],
  ['commonLabels', {}],
  ['commonAnnotations', {}],
  ['clusterDomain', 'cluster.local'],
  ['extraDeploy', []],
  ['usePasswordFiles', true],
  ['diagnosticMode.enabled', false],
  ['diagnosticMode.command', ['sleep']],
  ['diagnosticMode.args', ['infinity']],
  // etcd parameters
  ['image.registry', 'docker.io'],
  ['image.repository', 'bitnami/etcd'],
  ['image.tag', '3.6.4-debian-12-r3'],
  ['image.digest', ''],
  ['image.pullPolicy', 'IfNotPresent'],
  ['image.pullSecrets', []],
  ['image.debug', false],
  ['auth.rbac.create', true],
  ['auth.rbac.allowNoneAuthentication', true],
  ['auth.rbac.rootPassword', ''],
  ['auth.rbac.existingSecret', ''],
  ['auth.rbac.existingSecretPasswordKey', ''],
  ['auth.token.enabled', true],
  ['auth.token.type', 'jwt'],
  ['auth.token.privateKey.filename', 'jwt-token.pem'],
  ['auth.token.privateKey.existingSecret', ''],
  ['auth.token.signMethod', 'RS256'],
  ['auth.token.ttl', '10m'],
  ['auth.client.secureTransport', false],
  ['auth.client.useAutoTLS', false],
  ['auth.client.existingSecret', ''],
  ['auth.client.enableAuthentication', false],
  ['auth.client.certFilename', 'cert.pem'],
  ['auth.client.certKeyFilename', 'key.pem'],
  ['auth.client.caFilename', ''],
  ['auth.peer.secureTransport', false],
  ['auth.peer.useAutoTLS', false],
  ['auth.peer.existingSecret', ''],
  ['auth.peer.enableAuthentication', false],
  ['auth.peer.certFilename', 'cert.pem'],
  ['auth.peer.certKeyFilename', 'key.pem'],
  ['auth.peer.caFilename', ''],
  ['autoCompactionMode', ''],
  ['autoCompactionRetention', ''],
  ['initialClusterToken', 'etcd-cluster-k8s'],
  ['logLevel', 'info'],
  ['maxProcs', ''],
  ['configuration', ''],
  ['existingConfigmap', ''],
  ['extraEnvVars', []],
  ['extraEnvVarsCM', ''],
  ['extraEnvVarsSecret', ''],
  ['command', []],
  ['args', []],
  // etcd statefulset parameters
  ['replicaCount', 1],
  ['updateStrategy.type', 'RollingUpdate'],
  ['podManagementPolicy', 'Parallel'],
  ['automountServiceAccountToken', false],
  ['hostAliases', []],
  ['lifecycleHooks', {}],
  ['containerPorts.client', 2379],
  ['containerPorts.peer', 2380],
  ['containerPorts.metrics', 9090],
  ['podSecurityContext.enabled', true],
  ['podSecurityContext.fsGroupChangePolicy', 'Always'],
  ['podSecurityContext.sysctls', []],
  ['podSecurityContext.supplementalGroups', []],
  ['podSecurityContext.fsGroup', 1001],
  ['containerSecurityContext.enabled', true],
  ['containerSecurityContext.seLinuxOptions', {}],
  ['containerSecurityContext.runAsUser', 1001],
  ['containerSecurityContext.runAsGroup', 1001],
  ['containerSecurityContext.runAsNonRoot', true],
  ['containerSecurityContext.privileged', false],
  ['containerSecurityContext.allowPrivilegeEscalation', false],
  ['containerSecurityContext.readOnlyRootFilesystem', true],
  ['containerSecurityContext.capabilities.drop', ['ALL']],
  ['containerSecurityContext.seccompProfile.type', 'RuntimeDefault'],
  ['resourcesPreset', 'micro'],
  ['resources', {}],
  ['livenessProbe.enabled', true],
  ['livenessProbe.initialDelaySeconds', 60],
  ['livenessProbe.periodSeconds', 30],
  ['livenessProbe.timeoutSeconds', 5],
  ['livenessProbe.failureThreshold', 5],
  ['livenessProbe.successThreshold', 1],
  ['readinessProbe.enabled', true],
  ['readinessProbe.initialDelaySeconds', 60],
  ['readinessProbe.periodSeconds', 10],
  ['readinessProbe.timeoutSeconds', 5],
  ['readinessProbe.failureThreshold', 5],
  ['readinessProbe.successThreshold', 1],
  ['startupProbe.enabled', false],
  ['startupProbe.initialDelaySeconds', 0],
  ['startupProbe.periodSeconds', 10],
  ['startupProbe.timeoutSeconds', 5],
  ['startupProbe.failureThreshold', 60],
  ['startupProbe.successThreshold', 1],
  ['customLivenessProbe', {}],
  ['customReadinessProbe', {}],
  ['customStartupProbe', {}],
  ['extraVolumes', []],
  ['extraVolumeMounts', []],
  ['extraVolumeClaimTemplates', []],
  ['initContainers', []],
  ['sidecars', []],
  ['podAnnotations', {}],
  ['podLabels', {}],
  ['podAffinityPreset', ''],
  ['podAntiAffinityPreset', 'soft'],
  ['nodeAffinityPreset.type', ''],
  ['nodeAffinityPreset.key', ''],
  ['nodeAffinityPreset.values', []],
  ['affinity', {}],
  ['nodeSelector', {}],
  ['tolerations', []],
  ['terminationGracePeriodSeconds', ''],
  ['schedulerName', ''],
  ['priorityClassName', ''],
  ['runtimeClassName', ''],
  ['shareProcessNamespace', false],
  ['topologySpreadConstraints', []],
  ['persistentVolumeClaimRetentionPolicy.enabled', false],
  ['persistentVolumeClaimRetentionPolicy.whenScaled', 'Retain'],
  ['persistentVolumeClaimRetentionPolicy.whenDeleted', 'Retain'],
  // Traffic exposure parameters
  ['service.type', 'ClusterIP'],
  ['service.enabled', true],
  ['service.clusterIP', ''],
  ['service.ports.client', 2379],
  ['service.ports.peer', 2380],
  ['service.ports.metrics', 9090],
  ['service.nodePorts.client', ''],
  ['service.nodePorts.peer', ''],
  ['service.nodePorts.metrics', ''],
  ['service.clientPortNameOverride', ''],
  ['service.peerPortNameOverride', ''],
  ['service.metricsPortNameOverride', ''],
  ['service.loadBalancerIP', ''],
  ['service.loadBalancerClass', ''],
  ['service.loadBalancerSourceRanges', []],
  ['service.externalIPs', []],
  ['service.externalTrafficPolicy', 'Cluster'],
  ['service.extraPorts', []],
  ['service.annotations', {}],
  ['service.sessionAffinity', 'None'],
  ['service.sessionAffinityConfig', {}],
  ['service.headless.annotations', {}],
  // Persistence parameters
  ['persistence.enabled', true],
  ['persistence.storageClass', ''],
  ['persistence.annotations', {}],
  ['persistence.labels', {}],
  ['persistence.accessModes', ['ReadWriteOnce']],
  ['persistence.size', '8Gi'],
  ['persistence.selector', {}],
  // Volume Permissions parameters
  ['volumePermissions.enabled', false],
  ['volumePermissions.image.registry', 'docker.io'],
  ['volumePermissions.image.repository', 'bitnami/os-shell'],
  ['volumePermissions.image.tag', '12-debian-12-r50'],
  ['volumePermissions.image.digest', ''],
  ['volumePermissions.image.pullPolicy', 'IfNotPresent'],
  ['volumePermissions.image.pullSecrets', []],
  ['volumePermissions.resourcesPreset', 'nano'],
  ['volumePermissions.resources', {}],
  // Network Policy parameters
  ['networkPolicy.enabled', true],
  ['networkPolicy.allowExternal', true],
  ['networkPolicy.allowExternalEgress', true],
  ['networkPolicy.extraIngress', []],
  ['networkPolicy.extraEgress', []],
  ['networkPolicy.ingressNSMatchLabels', {}],
  ['networkPolicy.ingressNSPodMatchLabels', {}],
  // Metrics parameters
  ['metrics.enabled', false],
  ['metrics.useSeparateEndpoint', false],
  ['metrics.podAnnotations', { 'prometheus.io/scrape': 'true', 'prometheus.io/port': PODANNOTATIONS_TPL }],
  ['metrics.podMonitor.enabled', false],
  ['metrics.podMonitor.namespace', 'monitoring'],
  ['metrics.podMonitor.interval', '30s'],
  ['metrics.podMonitor.scrapeTimeout', '30s'],
  ['metrics.podMonitor.additionalLabels', {}],
  ['metrics.podMonitor.scheme', 'http'],
  ['metrics.podMonitor.tlsConfig', {}],
  ['metrics.podMonitor.relabelings', []],
  ['metrics.prometheusRule.enabled', false],
  ['metrics.prometheusRule.namespace', ''],
  ['metrics.prometheusRule.additionalLabels', {}],
  ['metrics.prometheusRule.rules', []],
  // Snapshotting parameters
  ['startFromSnapshot.enabled', false],
  ['startFromSnapshot.existingClaim', ''],
  ['startFromSnapshot.snapshotFilename', ''],
  ['disasterRecovery.enabled', false],
  ['disasterRecovery.cronjob.schedule', '*/30 * * * *'],
  ['disasterRecovery.cronjob.historyLimit', 1],
  ['disasterRecovery.cronjob.snapshotHistoryLimit', 1],
  ['disasterRecovery.cronjob.snapshotsDir', '/snapshots'],
  ['disasterRecovery.cronjob.podAnnotations', {}],
  ['disasterRecovery.cronjob.podSecurityContext.enabled', true],
  ['disasterRecovery.cronjob.podSecurityContext.fsGroupChangePolicy', 'Always'],
  ['disasterRecovery.cronjob.podSecurityContext.sysctls', []],
  ['disasterRecovery.cronjob.podSecurityContext.supplementalGroups', []],
  ['disasterRecovery.cronjob.podSecurityContext.fsGroup', 1001],
  ['disasterRecovery.cronjob.containerSecurityContext.enabled', true],
  ['disasterRecovery.cronjob.containerSecurityContext.seLinuxOptions', {}],
  ['disasterRecovery.cronjob.containerSecurityContext.runAsUser', 1001],
  ['disasterRecovery.cronjob.containerSecurityContext.runAsGroup', 1001],
  ['disasterRecovery.cronjob.containerSecurityContext.runAsNonRoot', true],
  ['disasterRecovery.cronjob.containerSecurityContext.privileged', false],
  ['disasterRecovery.cronjob.containerSecurityContext.readOnlyRootFilesystem', true],
  ['disasterRecovery.cronjob.containerSecurityContext.allowPrivilegeEscalation', false],
  ['disasterRecovery.cronjob.containerSecurityContext.capabilities.drop', ['ALL']],
  ['disasterRecovery.cronjob.containerSecurityContext.seccompProfile.type', 'RuntimeDefault'],
  ['disasterRecovery.cronjob.resourcesPreset', 'nano'],
  ['disasterRecovery.cronjob.resources', {}],
  ['disasterRecovery.cronjob.nodeSelector', {}],
  ['disasterRecovery.cronjob.tolerations', []],
  ['disasterRecovery.cronjob.podLabels', {}],
  ['disasterRecovery.cronjob.serviceAccountName', ''],
  ['disasterRecovery.cronjob.command', []],
  ['disasterRecovery.pvc.existingClaim', ''],
  ['disasterRecovery.pvc.size', '2Gi'],
  ['disasterRecovery.pvc.storageClassName', 'nfs'],
  ['disasterRecovery.pvc.subPath', ''],
  // Service account parameters
  ['serviceAccount.create', true],
  ['serviceAccount.name', ''],
  ['serviceAccount.automountServiceAccountToken', false],
  ['serviceAccount.annotations', {}],
  ['serviceAccount.labels', {}],
  // etcd "pre-upgrade" K8s Job parameters
  ['preUpgradeJob.enabled', true],
  ['preUpgradeJob.annotations', {}],
  ['preUpgradeJob.podLabels', {}],
  ['preUpgradeJob.podAnnotations', {}],
  ['preUpgradeJob.podAffinityPreset', ''],
  ['preUpgradeJob.podAntiAffinityPreset', 'soft'],
  ['preUpgradeJob.nodeAffinityPreset.type', ''],
  ['preUpgradeJob.nodeAffinityPreset.key', ''],
  ['preUpgradeJob.nodeAffinityPreset.values', []],
  ['preUpgradeJob.affinity', {}],
  ['preUpgradeJob.nodeSelector', {}],
  ['preUpgradeJob.tolerations', []],
  ['preUpgradeJob.containerSecurityContext.enabled', true],
  ['preUpgradeJob.containerSecurityContext.seLinuxOptions', {}],
  ['preUpgradeJob.containerSecurityContext.runAsUser', 1001],
  ['preUpgradeJob.containerSecurityContext.runAsGroup', 1001],
  ['preUpgradeJob.containerSecurityContext.runAsNonRoot', true],
  ['preUpgradeJob.containerSecurityContext.readOnlyRootFilesystem', true],
  ['preUpgradeJob.containerSecurityContext.privileged', false],
  ['preUpgradeJob.containerSecurityContext.allowPrivilegeEscalation', false],
  ['preUpgradeJob.containerSecurityContext.capabilities.add', []],
  ['preUpgradeJob.containerSecurityContext.capabilities.drop', ['ALL']],
  ['preUpgradeJob.containerSecurityContext.seccompProfile.type', 'RuntimeDefault'],
  ['preUpgradeJob.podSecurityContext.enabled', true],
  ['preUpgradeJob.podSecurityContext.fsGroupChangePolicy', 'Always'],
  ['preUpgradeJob.podSecurityContext.sysctls', []],
  ['preUpgradeJob.podSecurityContext.supplementalGroups', []],
  ['preUpgradeJob.podSecurityContext.fsGroup', 1001],
  ['preUpgradeJob.resourcesPreset', 'micro'],
  ['preUpgradeJob.resources', {}],
  ['preUpgradeJob.startDelay', ''],
  // Defragmentation parameters
  ['defrag.enabled', false],
  ['defrag.cronjob.startingDeadlineSeconds', ''],
  ['defrag.cronjob.schedule', '0 0 * * *'],
  ['defrag.cronjob.concurrencyPolicy', 'Forbid'],
  ['defrag.cronjob.suspend', false],
  ['defrag.cronjob.successfulJobsHistoryLimit', 1],
  ['defrag.cronjob.failedJobsHistoryLimit', 1],
  ['defrag.cronjob.labels', {}],
  ['defrag.cronjob.annotations', {}],
  ['defrag.cronjob.activeDeadlineSeconds', ''],
  ['defrag.cronjob.restartPolicy', 'OnFailure'],
  ['defrag.cronjob.podLabels', {}],
  ['defrag.cronjob.podAnnotations', {}],
  ['defrag.cronjob.podSecurityContext.enabled', true],
  ['defrag.cronjob.podSecurityContext.fsGroupChangePolicy', 'Always'],
  ['defrag.cronjob.podSecurityContext.sysctls', []],
  ['defrag.cronjob.podSecurityContext.supplementalGroups', []],
  ['defrag.cronjob.podSecurityContext.fsGroup', 1001],
  ['defrag.cronjob.containerSecurityContext.enabled', true],
  ['defrag.cronjob.containerSecurityContext.seLinuxOptions', {}],
  ['defrag.cronjob.containerSecurityContext.runAsUser', 1001],
  ['defrag.cronjob.containerSecurityContext.runAsGroup', 1001],
  ['defrag.cronjob.containerSecurityContext.runAsNonRoot', true],
  ['defrag.cronjob.containerSecurityContext.privileged', false],
  ['defrag.cronjob.containerSecurityContext.readOnlyRootFilesystem', true],
  ['defrag.cronjob.containerSecurityContext.allowPrivilegeEscalation', false],
  ['defrag.cronjob.containerSecurityContext.capabilities.drop', ['ALL']],
  ['defrag.cronjob.containerSecurityContext.seccompProfile.type', 'RuntimeDefault'],
  ['defrag.cronjob.nodeSelector', {}],
  ['defrag.cronjob.tolerations', []],
  ['defrag.cronjob.serviceAccountName', ''],
  ['defrag.cronjob.command', []],
  ['defrag.cronjob.args', []],
  ['defrag.cronjob.resourcesPreset', 'nano'],
  ['defrag.cronjob.resources', {}],
  ['defrag.cronjob.extraEnvVars', []],
  ['defrag.cronjob.extraEnvVarsCM', ''],
  ['defrag.cronjob.extraEnvVarsSecret', ''],
  // Other parameters
  ['pdb.create', true],
  ['pdb.minAvailable', '51%'],
  ['pdb.maxUnavailable', ''],
  // Read by the templates, not declared in values.yaml
  ['auth.rbac.enabled', undefined],
  ['global.storageClass', undefined],
  ['global.compatibility.omitEmptySeLinuxOptions', undefined],
  ['global.kubeVersion', undefined],
  ['global.apiVersions', undefined],
  ['apiVersions', undefined],
];

const DEFAULT_OF = new Map<string, Json>(DEFAULTS);
const ORDER = new Map<string, number>(DEFAULTS.map(([path], i) => [path, i]));
const PREFIXES = new Set<string>(DEFAULTS.flatMap(([path]) => {
  const parts = path.split('.');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
}));

const BITNAMI_ETCD_REPOSITORY = /^bitnami(legacy|secure)?\/etcd$/;
const MAX_NAME = 44;

/** Variables the chart's image scripts read; upstream etcd and the library's runtime do not. */
const BITNAMI_ENV = new Set([
  'ALLOW_NONE_AUTHENTICATION', 'ETCD_ROOT_PASSWORD', 'ETCD_ROOT_PASSWORD_FILE', 'ETCD_ON_K8S', 'ETCD_START_FROM_SNAPSHOT', 'ETCD_DISASTER_RECOVERY',
  'ETCD_CLUSTER_DOMAIN', 'ETCD_SNAPSHOTS_DIR', 'ETCD_SNAPSHOT_HISTORY_LIMIT', 'ETCD_INIT_SNAPSHOTS_DIR', 'ETCD_INIT_SNAPSHOT_FILENAME',
  'ETCD_PREUPGRADE_START_DELAY', 'ETCD_EXTRA_AUTH_FLAGS', 'MY_POD_IP', 'MY_POD_NAME', 'MY_STS_NAME', 'ETCD_CONF_FILE', 'ETCD_NEW_MEMBERS_ENV_FILE',
  'ETCD_VOLUME_DIR', 'ETCD_BASE_DIR', 'ETCD_BIN_DIR', 'ETCD_CONF_DIR', 'ETCD_DEFAULT_CONF_DIR', 'ETCD_TMP_DIR', 'ETCD_CERTS_DIR',
  'ETCD_DAEMON_USER', 'ETCD_DAEMON_GROUP',
]);
/** Variables the library's `tls` and `auth` set. */
const FEATURE_ENV: { [name: string]: string } = {
  ETCD_AUTH_TOKEN: '`auth.token.*`',
  ETCD_AUTO_TLS: '`auth.client.*`',
  ETCD_CERT_FILE: '`auth.client.*`',
  ETCD_KEY_FILE: '`auth.client.*`',
  ETCD_CLIENT_CERT_AUTH: '`auth.client.*`',
  ETCD_TRUSTED_CA_FILE: '`auth.client.*`',
  ETCD_PEER_AUTO_TLS: '`auth.peer.*`',
  ETCD_PEER_CERT_FILE: '`auth.peer.*`',
  ETCD_PEER_KEY_FILE: '`auth.peer.*`',
  ETCD_PEER_CLIENT_CERT_AUTH: '`auth.peer.*`',
  ETCD_PEER_TRUSTED_CA_FILE: '`auth.peer.*`',
  ETCD_AUTO_COMPACTION_MODE: '`autoCompactionMode`',
  ETCD_AUTO_COMPACTION_RETENTION: '`autoCompactionRetention`',
  ETCD_LISTEN_METRICS_URLS: '`metrics.useSeparateEndpoint` and `containerPorts.metrics`',
};

/**
 * Migration from the Bitnami etcd Helm chart (12.0.20): turns a values object into
 * `EtcdClusterProps`, so that an existing values file gives the closest equivalent cluster.
 *
 * @example
 * new EtcdCluster(chart, 'etcd', BitnamiValues.toProps(chart, values, { releaseName: 'my-release' }));
 */
export class BitnamiValues {
  /** The chart version whose values this class maps. */
  public static readonly CHART_VERSION = '12.0.20';

  /**
   * Maps a Bitnami etcd chart values object (as parsed from a values file) to props. Secrets and
   * other objects the values name become references under `scope`. Values equal to the chart's
   * defaults map to the chart's behaviour (e.g. 1 replica, auth on). Throws one error that lists
   * every value it cannot map (unknown keys and unsupported values), each with the reason.
   *
   * @param scope where references to existing Secrets, ConfigMaps and ServiceAccounts are created
   * @param values the values object (a values.yaml parsed to JSON); `undefined` means the defaults
   * @param options release name and adoption
   * @see https://github.com/bitnami/charts/tree/main/bitnami/etcd
   */
  public static toProps(scope: Construct, values: any, options: BitnamiMigrationOptions = {}): EtcdClusterProps {
    return new Mapper(scope, values, options).map();
  }

  /**
   * The value paths the mapping reads: the chart's 302 parameters, the two `@skip`ped image tags,
   * and the values the chart's templates read without declaring them (`auth.rbac.enabled`,
   * `global.storageClass`, ...). Any other key is reported as unknown.
   */
  public static knownValues(): string[] {
    return DEFAULTS.map(([path]) => path);
  }

  private constructor() {}
}

/** The references `toProps` creates, under one construct of their own. */
class References extends Construct {
  private readonly cache = new Map<string, unknown>();
  private counter = 0;

  public secret(name: string): kplus.ISecret {
    return this.once(`Secret:${name}`, () => kplus.Secret.fromSecretName(this, `Secret-${name}`, name));
  }

  public configMap(name: string): kplus.IConfigMap {
    return this.once(`ConfigMap:${name}`, () => kplus.ConfigMap.fromConfigMapName(this, `ConfigMap-${name}`, name));
  }

  public serviceAccount(name: string): kplus.IServiceAccount {
    return this.once(`ServiceAccount:${name}`, () => kplus.ServiceAccount.fromServiceAccountName(this, `ServiceAccount-${name}`, name));
  }

  public claim(name: string): kplus.IPersistentVolumeClaim {
    return this.once(`Claim:${name}`, () => kplus.PersistentVolumeClaim.fromClaimName(this, `Claim-${name}`, name));
  }

  /** A fresh construct id. */
  public id(kind: string): string {
    this.counter += 1;
    return `${kind}${this.counter}`;
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) {
      this.cache.set(key, make());
    }
    return this.cache.get(key) as T;
  }
}

class Mapper {
  private readonly issues: Issue[] = [];
  private readonly user = new Map<string, Json>();
  private readonly claimed = new Set<string>();
  private readonly refs: References;
  private readonly p: Mutable<EtcdClusterProps> = {};
  private readonly release?: string;
  private readonly fullname?: string;
  private readonly adopt: boolean;
  private readonly namespace?: string;
  private clientPort = 2379;
  private peerPort = 2380;
  private metricsPort = 2381;
  private readonly volumes = new Map<string, kplus.Volume>();
  private muted = 0;

  constructor(scope: Construct, values: Json, options: BitnamiMigrationOptions) {
    let id = 'BitnamiValues';
    for (let i = 2; scope.node.tryFindChild(id); i++) {
      id = `BitnamiValues${i}`;
    }
    this.refs = new References(scope, id);
    this.namespace = chartNamespace(scope);
    if (values !== undefined && values !== null) {
      if (!isMap(values)) {
        this.issue('(values)', `must be the values object (a map), got ${describe(values)}`);
      } else {
        this.walk(values, '');
      }
    }
    this.release = options.releaseName;
    if (this.release !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(this.release)) {
      this.issue('(options).releaseName', `must be a Helm release name: lower-case letters, digits and "-" (got "${this.release}")`);
    }
    this.fullname = this.resolveFullname();
    this.adopt = options.adopt ?? this.release !== undefined;
  }

  public map(): EtcdClusterProps {
    this.mapGroups();
    // Every value is read by its group; one that was not (a bug of this mapping) is never dropped silently.
    for (const path of this.unread()) {
      if (this.isSet(path)) {
        this.issue(path, 'not mapped (an omission of BitnamiValues; please report it)');
      }
    }
    if (this.issues.length) {
      const order = (i: Issue) => ORDER.get(i.path.split(/[[(]/)[0]) ?? ORDER.get(prefixOf(i.path)) ?? Number.MAX_SAFE_INTEGER;
      const seen = new Set<string>();
      const lines = [...this.issues]
        .sort((a, b) => order(a) - order(b) || a.path.localeCompare(b.path))
        .filter(i => !seen.has(`${i.path}\0${i.reason}`) && seen.add(`${i.path}\0${i.reason}`))
        .map(i => `  - \`${i.path}\`: ${i.reason}`);
      throw new Error(`[cdk8s-etcd] BitnamiValues.toProps: ${lines.length} value${lines.length === 1 ? '' : 's'} of the Bitnami ${CHART} `
        + `cannot be mapped (change or remove them; see docs/MIGRATION.md):\n${lines.join('\n')}`);
    }
    return Object.fromEntries(Object.entries(this.p).filter(([, v]) => v !== undefined)) as EtcdClusterProps;
  }

  /** The chart values the mapping has not read (empty after `mapGroups`, unless the mapping has a gap). */
  public unread(): string[] {
    return DEFAULTS.map(([path]) => path).filter(path => !this.claimed.has(path));
  }

  /** Maps every group of values into the props, collecting issues. */
  public mapGroups(): void {
    this.common();
    this.images();
    this.etcdSettings();
    this.authentication();
    this.transportSecurity();
    this.statefulSet();
    this.traffic();
    this.persistence();
    this.volumePermissions();
    this.networkPolicy();
    this.metrics();
    this.snapshots();
    this.serviceAccount();
    this.preUpgradeJob();
    this.defrag();
    this.disruptionBudget();
  }

  // ---------------------------------------------------------------- reading values

  private walk(obj: JsonMap, prefix: string): void {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (DEFAULT_OF.has(path)) {
        this.user.set(path, value === null ? emptyLike(DEFAULT_OF.get(path)) : value);
      } else if (PREFIXES.has(path)) {
        if (value === null || value === undefined) {
          continue;
        }
        if (!isMap(value)) {
          this.issue(path, `must be a map of values, got ${describe(value)}`);
          continue;
        }
        this.walk(value, path);
      } else {
        this.issue(path, `unknown value: the Bitnami ${CHART} has no such value`);
      }
    }
  }

  private issue(path: string, reason: string): void {
    if (!this.muted) {
      this.issues.push({ path, reason });
    }
  }

  /**
   * Runs `fn` (which reads values) and keeps its issues only when `active`: settings of a feature
   * the values leave off have no effect in the chart, so they are not reported.
   */
  private onlyIf<T>(active: boolean, fn: () => T): T {
    if (!active) {
      this.muted++;
    }
    try {
      return fn();
    } finally {
      if (!active) {
        this.muted--;
      }
    }
  }

  /** The value (the user's, else the chart's default); marks it as read. */
  private raw(path: string): Json {
    if (!DEFAULT_OF.has(path)) {
      throw new Error(`internal: ${path} is not a chart value`);
    }
    this.claimed.add(path);
    return this.user.has(path) ? this.user.get(path) : DEFAULT_OF.get(path);
  }

  /** Whether the user gave the value and it differs from the chart's default. */
  private isSet(path: string): boolean {
    this.claimed.add(path);
    return this.user.has(path) && !deepEqual(this.user.get(path), DEFAULT_OF.get(path));
  }

  /** Reports the value when it is set (differs from the chart's default). */
  private unsupportedIfSet(path: string, reason: string): void {
    if (this.isSet(path)) {
      this.issue(path, reason);
    }
  }

  /** Reads the values and ignores them (the mapping does not need them). */
  private notNeeded(...paths: string[]): void {
    paths.forEach(path => this.raw(path));
  }

  private str(path: string): string {
    const v = this.raw(path);
    if (v === undefined || v === null) {
      return '';
    }
    if (typeof v === 'string') {
      if (v.includes('{{')) {
        this.issue(path, `is a Helm template ("${v}"); the library does not evaluate templates: give the rendered value`);
      }
      return v;
    }
    if (typeof v === 'number' || typeof v === 'boolean') {
      return String(v);
    }
    this.issue(path, `must be a string, got ${describe(v)}`);
    const d = DEFAULT_OF.get(path);
    return typeof d === 'string' ? d : '';
  }

  private bool(path: string): boolean {
    const v = this.raw(path);
    if (typeof v === 'boolean') {
      return v;
    }
    if (v === 'true' || v === 'false') {
      return v === 'true';
    }
    if (v === undefined || v === null || v === '') {
      return false;
    }
    this.issue(path, `must be true or false, got ${describe(v)}`);
    return DEFAULT_OF.get(path) === true;
  }

  /** A whole number; `undefined` for an empty value. */
  private int(path: string, min = 0): number | undefined {
    return this.intValue(path, this.raw(path), min);
  }

  private intValue(path: string, v: Json, min = 0): number | undefined {
    if (v === undefined || v === null || v === '') {
      return undefined;
    }
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?[0-9]+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min) {
      this.issue(path, `must be a whole number of at least ${min}, got ${describe(v)}`);
      return undefined;
    }
    return n;
  }

  private list(path: string): Json[] {
    return this.listValue(path, this.raw(path));
  }

  private listValue(path: string, v: Json): Json[] {
    if (v === undefined || v === null || v === '') {
      return [];
    }
    if (!Array.isArray(v)) {
      this.issue(path, `must be a list, got ${describe(v)}`);
      return [];
    }
    return v;
  }

  private obj(path: string): JsonMap {
    return this.objValue(path, this.raw(path));
  }

  private objValue(path: string, v: Json): JsonMap {
    if (v === undefined || v === null || v === '') {
      return {};
    }
    if (!isMap(v)) {
      this.issue(path, `must be a map, got ${describe(v)}`);
      return {};
    }
    return v;
  }

  /** A map of strings (labels, annotations, selectors); `undefined` when empty. */
  private strMap(path: string): { [key: string]: string } | undefined {
    return this.strMapValue(path, this.raw(path));
  }

  private strMapValue(path: string, v: Json): { [key: string]: string } | undefined {
    const m = this.objValue(path, v);
    const out: { [key: string]: string } = {};
    for (const [k, x] of Object.entries(m)) {
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') {
        if (typeof x === 'string' && x.includes('{{')) {
          this.issue(`${path}.${k}`, `is a Helm template ("${x}"); give the rendered value`);
        }
        out[k] = String(x);
      } else {
        this.issue(`${path}.${k}`, `must be a string, got ${describe(x)}`);
      }
    }
    return Object.keys(out).length ? out : undefined;
  }

  /** Checks that a raw Kubernetes object has only the fields the mapping understands. */
  private fields(path: string, o: JsonMap, supported: string[], why = 'has no equivalent in the library'): void {
    for (const key of Object.keys(o)) {
      if (!supported.includes(key) && o[key] !== undefined && o[key] !== null) {
        this.issue(`${path}.${key}`, `not supported: ${why}`);
      }
    }
  }

  /** Runs `fn`; an error it throws (e.g. from a value class) becomes an issue of `path`. */
  private attempt<T>(path: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      this.issue(path, (e as Error).message.replace(/^\[cdk8s-etcd\] [^:]+: /, ''));
      return undefined;
    }
  }

  private resolveFullname(): string | undefined {
    const nameOverride = this.str('nameOverride');
    const fullnameOverride = this.str('fullnameOverride');
    let name: string | undefined;
    let source = '(options).releaseName';
    if (fullnameOverride) {
      name = fullnameOverride;
      source = 'fullnameOverride';
    } else if (this.release !== undefined) {
      const chartName = nameOverride || 'etcd';
      name = this.release.includes(chartName) ? this.release : `${this.release}-${chartName}`;
      if (nameOverride) {
        source = 'nameOverride';
      }
    }
    if (name === undefined) {
      return undefined;
    }
    name = name.slice(0, 63).replace(/-+$/, '');
    if (!DNS_LABEL.test(name) || !/^[a-z]/.test(name)) {
      this.issue(source, `gives the name "${name}", which is not a DNS label starting with a letter (lower-case letters, digits and "-"), `
        + 'as Service names must be');
      return undefined;
    }
    if (name.length > MAX_NAME) {
      this.issue(source, `gives the name "${name}" (${name.length} characters); the library allows at most ${MAX_NAME} `
        + '(its reconcile Job is named `<name>-reconcile-<hash>`). Keeping the chart\'s names is what keeps the volumes: set a shorter '
        + '`fullnameOverride` only for a new cluster');
      return undefined;
    }
    return name;
  }

  // ---------------------------------------------------------------- Global and common parameters

  private common(): void {
    const p = this.p;
    if (this.fullname) {
      p.name = this.fullname;
    }
    if (this.adopt && this.release === undefined && !this.str('fullnameOverride')) {
      this.issue('(options).adopt', 'needs `releaseName` (or `fullnameOverride`): adopting a release keeps its object names');
    }
    this.notNeeded('kubeVersion', 'global.security.allowInsecureImages', 'global.compatibility.omitEmptySeLinuxOptions',
      'global.kubeVersion', 'global.apiVersions', 'apiVersions');

    const adapt = this.str('global.compatibility.openshift.adaptSecurityContext');
    if (adapt === 'force') {
      this.issue('global.compatibility.openshift.adaptSecurityContext', 'not supported: the library always sets runAsUser, runAsGroup and '
        + 'fsGroup (1001 unless `containerSecurityContext.runAsUser`/`podSecurityContext.fsGroup` say otherwise); on OpenShift give the '
        + 'namespace a SecurityContextConstraints that admits them (e.g. nonroot-v2), or set the uids to the namespace\'s range');
    } else if (!['auto', 'disabled', ''].includes(adapt)) {
      this.issue('global.compatibility.openshift.adaptSecurityContext', `must be auto, force or disabled (got "${adapt}")`);
    }

    const nsOverride = this.str('namespaceOverride');
    if (nsOverride && nsOverride !== this.namespace) {
      this.issue('namespaceOverride', `not supported as a value: the Chart decides the namespace (it is ${this.namespace ? `"${this.namespace}"` : 'not set'}); `
        + `create the Chart with \`namespace: '${nsOverride}'\``);
    }
    p.labels = this.strMap('commonLabels');
    p.annotations = this.strMap('commonAnnotations');
    const domain = this.str('clusterDomain');
    if (this.isSet('clusterDomain')) {
      p.clusterDomain = domain;
    }
    if (this.list('extraDeploy').length) {
      this.issue('extraDeploy', 'not supported: add these objects to the cdk8s Chart yourself (`new ApiObject(chart, id, {...})`, or `new Include(...)` for YAML)');
    }
    p.diagnosticMode = this.bool('diagnosticMode.enabled') || undefined;
    for (const path of ['diagnosticMode.command', 'diagnosticMode.args']) {
      this.raw(path);
      if (p.diagnosticMode) {
        this.unsupportedIfSet(path, 'not supported: the library\'s diagnostic mode always runs `/tools/bin/sleep` (busybox) in the etcd container');
      }
    }
  }

  // ---------------------------------------------------------------- Images

  private images(): void {
    const p = this.p;
    const globalRegistry = this.str('global.imageRegistry');
    const registry = this.str('image.registry');
    const repository = this.str('image.repository');
    const tag = this.str('image.tag');
    const digest = this.str('image.digest');
    const pullPolicy = this.pullPolicy('image.pullPolicy');
    const debug = this.bool('image.debug');
    const secretNames = [
      ...this.pullSecretNames('global.imagePullSecrets'),
      ...this.pullSecretNames('image.pullSecrets'),
      ...this.pullSecretNames('volumePermissions.image.pullSecrets'),
    ];
    if (secretNames.length) {
      p.imagePullSecrets = [...new Set(secretNames)].map(n => this.refs.secret(n));
    }

    const options: Mutable<ImageOptions> = {};
    if (BITNAMI_ETCD_REPOSITORY.test(repository)) {
      // Bitnami's image is replaced by the upstream one (the runtime needs its layout); a tag the
      // user chose keeps its etcd version.
      if (this.isSet('image.tag')) {
        const m = /^v?([0-9]+)\.([0-9]+)\.([0-9]+)(-.*)?$/.exec(tag);
        if (!m) {
          this.issue('image.tag', `is not an etcd version tag such as "3.6.4-debian-12-r3" (got "${tag}")`);
        } else if (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 5)) {
          this.issue('image.tag', `is etcd ${m[1]}.${m[2]}; the library needs etcd 3.5 or newer (upgrade the release to etcd 3.5 first)`);
        } else {
          options.tag = `v${m[1]}.${m[2]}.${m[3]}`;
        }
      }
      this.isSet('image.digest');
      const reg = globalRegistry || (this.isSet('image.registry') ? registry : '');
      if (reg) {
        options.registry = reg;
      }
    } else {
      if (/-(debian|photon|ubuntu|rhel)-[0-9]+(-r[0-9]+)?$/.test(tag)) {
        this.issue('image.tag', `"${tag}" is a Bitnami image tag, but \`image.repository\` is "${repository}": the library runs the upstream `
          + 'etcd image (or a mirror of it), tagged like "v3.6.14"');
      }
      options.registry = globalRegistry || registry;
      options.repository = repository;
      options.tag = tag;
      options.digest = digest || undefined;
    }
    if (pullPolicy && pullPolicy !== kplus.ImagePullPolicy.IF_NOT_PRESENT) {
      options.pullPolicy = pullPolicy;
    }
    if (Object.values(options).some(v => v !== undefined)) {
      p.image = this.attempt('image', () => EtcdImage.fromRegistry(options));
    }
    if (globalRegistry) {
      p.toolsImage = this.attempt('global.imageRegistry', () => ToolsImage.fromRegistry({ registry: globalRegistry }));
    }
    if (debug) {
      p.logLevel = LogLevel.DEBUG;
    }
  }

  private pullPolicy(path: string): kplus.ImagePullPolicy | undefined {
    const v = this.str(path);
    const all = Object.values(kplus.ImagePullPolicy) as string[];
    if (!v) {
      return undefined;
    }
    if (!all.includes(v)) {
      this.issue(path, `must be one of ${all.join(', ')} (got "${v}")`);
      return undefined;
    }
    return v as kplus.ImagePullPolicy;
  }

  private pullSecretNames(path: string): string[] {
    return this.list(path).flatMap((s, i) => {
      const name = typeof s === 'string' ? s : isMap(s) && typeof s.name === 'string' ? s.name : undefined;
      if (!name) {
        this.issue(`${path}[${i}]`, `must be a Secret name or { name: ... }, got ${describe(s)}`);
        return [];
      }
      return [name];
    });
  }

  // ---------------------------------------------------------------- etcd settings

  private etcdSettings(): void {
    const p = this.p;
    p.initialClusterToken = this.str('initialClusterToken') || undefined;
    const level = this.str('logLevel');
    if (!(Object.values(LogLevel) as string[]).includes(level)) {
      this.issue('logLevel', `must be one of ${Object.values(LogLevel).join(', ')} (got "${level}")`);
    } else if (!p.logLevel && level !== LogLevel.INFO) {
      p.logLevel = level as LogLevel;
    }
    const maxProcs = this.int('maxProcs', 1);
    if (maxProcs !== undefined) {
      p.maxProcs = maxProcs;
    }

    const mode = this.str('autoCompactionMode');
    const retention = this.str('autoCompactionRetention');
    if (retention && retention !== '0') {
      p.autoCompaction = this.attempt('autoCompactionRetention', () => AutoCompaction.fromValues(mode || 'periodic', retention));
    } else if (mode && !['periodic', 'revision'].includes(mode)) {
      this.issue('autoCompactionMode', `must be periodic or revision (got "${mode}")`);
    }

    const configReason = 'not supported: the chart mounts it as etcd.conf.yml, which the Bitnami image does not read (bitnami/charts#24629), '
      + 'so it likely had no effect; set the matching props (or ETCD_* variables in `extraEnvVars`)';
    if (this.str('configuration')) {
      this.issue('configuration', configReason);
    }
    if (this.str('existingConfigmap')) {
      this.issue('existingConfigmap', configReason);
    }

    const env = this.envList('extraEnvVars', this.list('extraEnvVars'), true);
    if (Object.keys(env).length) {
      p.extraEnv = env;
    }
    const envFrom: kplus.EnvFrom[] = [];
    const cm = this.str('extraEnvVarsCM');
    if (cm) {
      envFrom.push(kplus.Env.fromConfigMap(this.refs.configMap(cm)));
    }
    const secret = this.str('extraEnvVarsSecret');
    if (secret) {
      envFrom.push(kplus.Env.fromSecret(this.refs.secret(secret)));
    }
    if (envFrom.length) {
      p.extraEnvFrom = envFrom;
    }
    const commandReason = 'not supported: the etcd container runs the library\'s entrypoint (`/tools/bin/sh /runtime/entrypoint.sh`), '
      + 'which decides how the member starts and then execs etcd';
    this.unsupportedIfSet('command', commandReason);
    this.unsupportedIfSet('args', commandReason);
  }

  /** `extraEnvVars`-style lists as `extraEnv`; for the etcd container, tuning variables become props. */
  private envList(path: string, list: Json[], etcd: boolean): { [name: string]: kplus.EnvValue } {
    const out: { [name: string]: kplus.EnvValue } = {};
    list.forEach((e, i) => {
      const at = `${path}[${i}]`;
      if (!isMap(e) || typeof e.name !== 'string') {
        this.issue(at, `must be { name, value } or { name, valueFrom }, got ${describe(e)}`);
        return;
      }
      const name: string = e.name;
      const plain = e.valueFrom === undefined || e.valueFrom === null;
      const value = plain ? (e.value === undefined || e.value === null ? '' : String(e.value)) : undefined;
      this.fields(at, e, ['name', 'value', 'valueFrom']);
      if (value?.includes('{{')) {
        this.issue(at, `${name} is a Helm template ("${value}"); give the rendered value`);
        return;
      }
      if (etcd) {
        const tuned = value !== undefined && this.tuning(at, name, value);
        if (tuned) {
          return;
        }
        const reason = envReason(name);
        if (reason) {
          this.issue(at, `${name}: ${reason}`);
          return;
        }
        if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) {
          this.issue(at, `"${name}" is not a valid environment variable name`);
          return;
        }
      }
      if (value !== undefined) {
        out[name] = kplus.EnvValue.fromValue(value);
        return;
      }
      const from = this.envValueFrom(`${at}.valueFrom`, e.valueFrom);
      if (from) {
        out[name] = from;
      }
    });
    return out;
  }

  /** ETCD_* tuning variables that have a prop; true when `name` was one of them. */
  private tuning(at: string, name: string, value: string): boolean {
    const p = this.p;
    const whole = (min: number) => {
      const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n) || n < min) {
        this.issue(at, `${name} must be a whole number of at least ${min} (got "${value}")`);
        return undefined;
      }
      return n;
    };
    switch (name) {
      case 'ETCD_SNAPSHOT_COUNT':
        p.snapshotCount = whole(1);
        return true;
      case 'ETCD_HEARTBEAT_INTERVAL': {
        const ms = whole(1);
        p.heartbeatInterval = ms === undefined ? undefined : Duration.millis(ms);
        return true;
      }
      case 'ETCD_ELECTION_TIMEOUT': {
        const ms = whole(1);
        p.electionTimeout = ms === undefined ? undefined : Duration.millis(ms);
        return true;
      }
      case 'ETCD_QUOTA_BACKEND_BYTES': {
        const b = whole(1);
        p.quotaBackendBytes = b === undefined ? undefined : Size.kibibytes(Math.ceil(b / 1024));
        return true;
      }
      case 'ETCD_MAX_REQUEST_BYTES': {
        const b = whole(1);
        p.maxRequestBytes = b === undefined ? undefined : Size.kibibytes(Math.ceil(b / 1024));
        return true;
      }
      case 'GOMAXPROCS':
        p.maxProcs = whole(1);
        return true;
      case 'ETCD_LOG_LEVEL':
        if (!(Object.values(LogLevel) as string[]).includes(value)) {
          this.issue(at, `ETCD_LOG_LEVEL must be one of ${Object.values(LogLevel).join(', ')} (got "${value}")`);
        } else {
          p.logLevel = value as LogLevel;
        }
        return true;
      case 'ETCD_INITIAL_CLUSTER_TOKEN':
        p.initialClusterToken = value;
        return true;
      default:
        return false;
    }
  }

  private envValueFrom(path: string, raw: Json): kplus.EnvValue | undefined {
    const v = this.objValue(path, raw);
    this.fields(path, v, ['secretKeyRef', 'configMapKeyRef', 'fieldRef', 'resourceFieldRef']);
    if (isMap(v.secretKeyRef)) {
      const r = v.secretKeyRef;
      this.fields(`${path}.secretKeyRef`, r, ['name', 'key', 'optional']);
      return kplus.EnvValue.fromSecretValue({ secret: this.refs.secret(String(r.name)), key: String(r.key) },
        { optional: r.optional === true || undefined });
    }
    if (isMap(v.configMapKeyRef)) {
      const r = v.configMapKeyRef;
      this.fields(`${path}.configMapKeyRef`, r, ['name', 'key', 'optional']);
      return kplus.EnvValue.fromConfigMap(this.refs.configMap(String(r.name)), String(r.key), { optional: r.optional === true || undefined });
    }
    if (isMap(v.fieldRef)) {
      const r = v.fieldRef;
      this.fields(`${path}.fieldRef`, r, ['fieldPath', 'apiVersion']);
      const fieldPath = String(r.fieldPath);
      const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
      if (keyed) {
        return kplus.EnvValue.fromFieldRef(keyed[1] === 'labels' ? kplus.EnvFieldPaths.POD_LABEL : kplus.EnvFieldPaths.POD_ANNOTATION,
          { key: keyed[2], apiVersion: r.apiVersion });
      }
      if (!(Object.values(kplus.EnvFieldPaths) as string[]).includes(fieldPath)) {
        this.issue(`${path}.fieldRef.fieldPath`, `not supported: "${fieldPath}" is not a field cdk8s-plus can reference`);
        return undefined;
      }
      return kplus.EnvValue.fromFieldRef(fieldPath as kplus.EnvFieldPaths, { apiVersion: r.apiVersion });
    }
    if (isMap(v.resourceFieldRef)) {
      const r = v.resourceFieldRef;
      this.fields(`${path}.resourceFieldRef`, r, ['resource'], 'a resource of another container or a divisor cannot be referenced');
      const resource = String(r.resource);
      if (!(Object.values(kplus.ResourceFieldPaths) as string[]).includes(resource)) {
        this.issue(`${path}.resourceFieldRef.resource`, `not supported: "${resource}"`);
        return undefined;
      }
      return kplus.EnvValue.fromResource(resource as kplus.ResourceFieldPaths);
    }
    this.issue(path, `must reference a secretKeyRef, configMapKeyRef, fieldRef or resourceFieldRef, got ${describe(raw)}`);
    return undefined;
  }

  // ---------------------------------------------------------------- auth

  private authentication(): void {
    const create = this.bool('auth.rbac.create');
    const legacy = this.user.has('auth.rbac.enabled') && this.bool('auth.rbac.enabled');
    this.raw('auth.rbac.enabled');
    const allowNone = this.bool('auth.rbac.allowNoneAuthentication');
    const rootPassword = this.str('auth.rbac.rootPassword');
    const existingSecret = this.str('auth.rbac.existingSecret');
    const passwordKey = this.str('auth.rbac.existingSecretPasswordKey');
    const usePasswordFiles = this.bool('usePasswordFiles');
    const tokenEnabled = this.bool('auth.token.enabled');
    const tokenType = this.str('auth.token.type');
    const keyFile = this.str('auth.token.privateKey.filename');
    const keySecret = this.str('auth.token.privateKey.existingSecret');
    const signMethod = this.str('auth.token.signMethod');
    const ttl = this.str('auth.token.ttl');

    if (!create && !legacy) {
      if (!allowNone) {
        this.issue('auth.rbac.allowNoneAuthentication', 'false together with `auth.rbac.create: false` leaves the chart\'s container without '
          + 'a root password, and it refuses to start; turn `auth.rbac.create` on, or allowNoneAuthentication back on');
      }
      return;
    }
    const auth: Mutable<EtcdAuthOptions> = {};
    if (existingSecret) {
      auth.rootPassword = { secret: this.refs.secret(existingSecret), key: passwordKey || 'etcd-root-password' };
    } else if (this.adopt && this.fullname) {
      // The chart's Secret holds the password the running cluster's root user has.
      auth.rootPassword = { secret: this.refs.secret(this.fullname), key: 'etcd-root-password' };
    } else if (rootPassword) {
      this.issue('auth.rbac.rootPassword', 'not supported: the library takes no literal passwords; put the password in a Secret and set '
        + '`auth.rbac.existingSecret` (and `existingSecretPasswordKey`), or leave it empty to generate one');
    } else {
      auth.generateRootPassword = true;
    }
    if (!usePasswordFiles) {
      auth.passwordFromEnv = true;
    }

    if (!tokenEnabled || tokenType === 'simple') {
      auth.tokenType = AuthTokenType.SIMPLE;
    } else if (tokenType === 'jwt') {
      auth.tokenType = AuthTokenType.JWT;
      const method = this.attempt('auth.token.signMethod', () => JwtSignMethod.of(signMethod));
      auth.jwtSignMethod = method;
      const ms = goDurationMillis(ttl);
      if (ms === undefined || ms < 1000 || ms % 1000 !== 0) {
        this.issue('auth.token.ttl', `must be a Go duration of whole seconds such as "10m" (got "${ttl}")`);
      } else {
        auth.jwtTtl = Duration.seconds(ms / 1000);
      }
      if (keySecret) {
        auth.jwtPrivateKey = { secret: this.refs.secret(keySecret), key: keyFile || 'jwt-token.pem' };
      } else if (this.adopt && this.fullname) {
        // The chart generated the key into `<fullname>-jwt-token`, always under this key.
        auth.jwtPrivateKey = { secret: this.refs.secret(`${this.fullname}-jwt-token`), key: 'jwt-token.pem' };
      } else if (method && method.name.startsWith('HS')) {
        this.issue('auth.token.signMethod', `${method.name} needs a shared secret, which the library does not generate; `
          + 'put one in a Secret and set `auth.token.privateKey.existingSecret`');
      } else {
        auth.generateJwtKey = true;
      }
    } else {
      this.issue('auth.token.type', `must be jwt or simple (got "${tokenType}")`);
    }
    this.p.auth = auth;
  }

  // ---------------------------------------------------------------- TLS

  private transportSecurity(): void {
    const tls: Mutable<EtcdTlsOptions> = {};
    for (const side of ['client', 'peer'] as const) {
      const at = `auth.${side}`;
      const secure = this.bool(`${at}.secureTransport`);
      const auto = this.bool(`${at}.useAutoTLS`);
      const secret = this.str(`${at}.existingSecret`);
      const certAuth = this.bool(`${at}.enableAuthentication`);
      const keys = {
        cert: this.str(`${at}.certFilename`) || 'cert.pem',
        privateKey: this.str(`${at}.certKeyFilename`) || 'key.pem',
        ca: this.str(`${at}.caFilename`) || 'ca.crt',
      };
      let source: TlsSource | undefined;
      if (secure && auto) {
        source = TlsSource.auto();
        if (certAuth) {
          this.issue(`${at}.enableAuthentication`, 'not supported with `useAutoTLS`: self-signed automatic certificates have no CA to verify '
            + `${side === 'client' ? 'clients' : 'peers'} with; use certificates from \`existingSecret\``);
        }
      } else if (secure && secret) {
        source = TlsSource.fromSecret(this.refs.secret(secret), keys);
      } else if (secure) {
        this.issue(`${at}.existingSecret`, 'is required with `secureTransport` unless `useAutoTLS` is on (the chart does not render without it)');
      } else if (certAuth) {
        this.issue(`${at}.enableAuthentication`, 'needs `secureTransport`: certificate authentication over plain text has no effect');
      }
      if (!source) {
        continue;
      }
      if (side === 'client') {
        tls.client = source;
        if (certAuth && !auto) {
          tls.clientCertAuth = true;
        }
      } else {
        tls.peer = source;
        if (!auto) {
          tls.peerCertAuth = certAuth;
        }
      }
    }
    if (tls.client || tls.peer) {
      this.p.tls = tls;
    }
  }

  // ---------------------------------------------------------------- StatefulSet

  private statefulSet(): void {
    const p = this.p;
    p.replicas = this.int('replicaCount', 1) ?? 1;

    const strategy = this.str('updateStrategy.type');
    if (strategy === 'OnDelete') {
      p.updateStrategy = kplus.StatefulSetUpdateStrategy.onDelete();
    } else if (strategy !== 'RollingUpdate') {
      this.issue('updateStrategy.type', `must be RollingUpdate or OnDelete (got "${strategy}")`);
    }
    if (this.str('podManagementPolicy') !== 'Parallel') {
      this.issue('podManagementPolicy', 'not supported: the library always starts members in parallel, which bootstrapping a new cluster needs');
    }
    if (this.bool('automountServiceAccountToken')) {
      this.issue('automountServiceAccountToken', 'not supported: etcd needs no Kubernetes API access, so the library never mounts a token');
    }
    const aliases = this.list('hostAliases').map((h, i) => {
      const m = this.objValue(`hostAliases[${i}]`, h);
      this.fields(`hostAliases[${i}]`, m, ['ip', 'hostnames']);
      return { ip: String(m.ip), hostnames: this.listValue(`hostAliases[${i}].hostnames`, m.hostnames).map(String) };
    });
    p.hostAliases = aliases.length ? aliases : undefined;
    p.lifecycle = this.lifecycle('lifecycleHooks', this.obj('lifecycleHooks'));

    // Ports
    const separate = this.bool('metrics.useSeparateEndpoint');
    this.clientPort = this.int('containerPorts.client', 1) ?? 2379;
    this.peerPort = this.int('containerPorts.peer', 1) ?? 2380;
    const chartMetrics = this.int('containerPorts.metrics', 1) ?? 9090;
    if (separate) {
      this.metricsPort = chartMetrics;
    }
    const ports = {
      client: this.clientPort === 2379 ? undefined : this.clientPort,
      peer: this.peerPort === 2380 ? undefined : this.peerPort,
      metrics: this.metricsPort === 2381 ? undefined : this.metricsPort,
    };
    if (Object.values(ports).some(x => x !== undefined)) {
      p.ports = ports;
    }

    this.securityContexts();
    p.resourcesPreset = this.preset('resourcesPreset');
    p.resources = this.resources('resources', this.obj('resources'));
    this.probes();

    // Volumes before mounts and containers, which refer to them by name.
    const extraVolumes = this.list('extraVolumes').flatMap((v, i) => {
      const volume = this.volume(`extraVolumes[${i}]`, v);
      return volume ? [volume] : [];
    });
    p.extraVolumes = extraVolumes.length ? extraVolumes : undefined;
    const claimTemplates = this.claimTemplates();
    const mounts: EtcdVolumeMount[] = [];
    this.list('extraVolumeMounts').forEach((m, i) => {
      const at = `extraVolumeMounts[${i}]`;
      const mount = this.objValue(at, m);
      this.fields(at, mount, ['name', 'mountPath', 'readOnly', 'subPath']);
      const template = claimTemplates.find(t => t.name === mount.name);
      if (template) {
        if (template.mountPath || mount.subPath || mount.readOnly) {
          this.issue(at, 'not supported: a claim of `extraVolumeClaimTemplates` is mounted once, whole and writable, in the etcd container');
        } else {
          claimTemplates[claimTemplates.indexOf(template)] = { ...template, mountPath: String(mount.mountPath) };
        }
        return;
      }
      const volume = this.volumes.get(String(mount.name));
      if (!volume) {
        this.issue(`${at}.name`, `not supported: "${mount.name}" is not among \`extraVolumes\` or \`extraVolumeClaimTemplates\` (the chart's own `
          + 'volumes, such as data and empty-dir, do not exist under these names in the library)');
        return;
      }
      mounts.push({ volume, path: String(mount.mountPath), readOnly: mount.readOnly === true || undefined, subPath: mount.subPath || undefined });
    });
    p.extraVolumeMounts = mounts.length ? mounts : undefined;
    p.extraVolumeClaimTemplates = claimTemplates.length ? claimTemplates : undefined;
    const init = this.list('initContainers').flatMap((c, i) => this.container(`initContainers[${i}]`, c) ?? []);
    const sidecars = this.list('sidecars').flatMap((c, i) => this.container(`sidecars[${i}]`, c) ?? []);
    p.initContainers = init.length ? init : undefined;
    p.sidecars = sidecars.length ? sidecars : undefined;

    p.podAnnotations = this.strMap('podAnnotations');
    p.podLabels = this.strMap('podLabels');
    p.scheduling = this.scheduling();

    const grace = this.int('terminationGracePeriodSeconds', 0);
    p.terminationGracePeriod = grace === undefined ? undefined : Duration.seconds(grace);
    p.schedulerName = this.str('schedulerName') || undefined;
    p.priorityClassName = this.str('priorityClassName') || undefined;
    p.runtimeClassName = this.str('runtimeClassName') || undefined;
    p.shareProcessNamespace = this.bool('shareProcessNamespace') || undefined;
  }

  private lifecycle(path: string, hooks: JsonMap): kplus.ContainerLifecycle | undefined {
    this.fields(path, hooks, ['postStart', 'preStop']);
    const handler = (at: string, raw: Json): kplus.Handler | undefined => {
      if (raw === undefined || raw === null) {
        return undefined;
      }
      const h = this.objValue(at, raw);
      this.fields(at, h, ['exec', 'httpGet', 'tcpSocket']);
      if (isMap(h.httpGet)) {
        this.fields(`${at}.httpGet`, h.httpGet, ['path', 'port', 'scheme']);
        return kplus.Handler.fromHttpGet(String(h.httpGet.path ?? '/'), { port: this.portNumber(`${at}.httpGet.port`, h.httpGet.port) });
      }
      if (isMap(h.tcpSocket)) {
        this.fields(`${at}.tcpSocket`, h.tcpSocket, ['port', 'host']);
        return kplus.Handler.fromTcpSocket({ port: this.portNumber(`${at}.tcpSocket.port`, h.tcpSocket.port), host: h.tcpSocket.host });
      }
      if (isMap(h.exec)) {
        const command = this.etcdCommand(`${at}.exec.command`, h.exec.command);
        return command && kplus.Handler.fromCommand(command);
      }
      this.issue(at, `must be an exec, httpGet or tcpSocket handler, got ${describe(raw)}`);
      return undefined;
    };
    const postStart = handler(`${path}.postStart`, hooks.postStart);
    const preStop = handler(`${path}.preStop`, hooks.preStop);
    return postStart || preStop ? { postStart, preStop } : undefined;
  }

  /**
   * A command run in the etcd container: the upstream image has no shell and no Bitnami scripts, so
   * only the image's binaries (etcd, etcdctl, etcdutl in /usr/local/bin) and busybox (/tools/bin,
   * e.g. `sh`) are there.
   */
  private etcdCommand(path: string, raw: Json): string[] | undefined {
    const command = this.listValue(path, raw).map(String);
    if (!command.length) {
      this.issue(path, 'must not be empty');
      return undefined;
    }
    const exe = command[0];
    const found = !exe.includes('/') || exe.startsWith('/usr/local/bin/') || exe.startsWith('/tools/bin/');
    if (!found || command.some(c => c.includes('/opt/bitnami'))) {
      this.issue(path, `not supported: ${JSON.stringify(command)} runs in the etcd container, whose upstream image has no shell and no `
        + 'Bitnami scripts; use etcdctl (/usr/local/bin) or busybox (/tools/bin/sh), or an httpGet on the metrics port (/livez, /readyz)');
      return undefined;
    }
    return command;
  }

  /** A port as a number: numbers as they are, the container's port names resolved. */
  private portNumber(path: string, raw: Json): number | undefined {
    if (raw === undefined || raw === null || raw === '') {
      return undefined;
    }
    const named: { [name: string]: number } = { client: this.clientPort, peer: this.peerPort, metrics: this.metricsPort };
    if (typeof raw === 'string' && raw in named) {
      return named[raw];
    }
    return this.intValue(path, raw, 1);
  }

  private securityContexts(): void {
    const podEnabled = this.bool('podSecurityContext.enabled');
    const containerEnabled = this.bool('containerSecurityContext.enabled');
    const off = 'not supported: the library always renders the security contexts (non-root uid, fsGroup, read-only root, no capabilities, '
      + 'RuntimeDefault seccomp)';
    if (!podEnabled) {
      this.issue('podSecurityContext.enabled', off);
    }
    if (!containerEnabled) {
      this.issue('containerSecurityContext.enabled', off);
    }
    const sc: Mutable<EtcdSecurityContext> = {
      user: this.int('containerSecurityContext.runAsUser'),
      group: this.int('containerSecurityContext.runAsGroup'),
      fsGroup: this.int('podSecurityContext.fsGroup'),
    };
    for (const [path, id] of [['containerSecurityContext.runAsUser', sc.user], ['containerSecurityContext.runAsGroup', sc.group],
      ['podSecurityContext.fsGroup', sc.fsGroup]] as const) {
      if (id === 0) {
        this.issue(path, 'not supported: the library never runs etcd as root (uid/gid 0)');
      }
    }
    const policy = this.str('podSecurityContext.fsGroupChangePolicy');
    if (policy === 'OnRootMismatch') {
      sc.fsGroupChangePolicy = kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH;
    } else if (policy !== 'Always') {
      this.issue('podSecurityContext.fsGroupChangePolicy', `must be Always or OnRootMismatch (got "${policy}")`);
    }
    const groups = this.list('podSecurityContext.supplementalGroups').flatMap((g, i) =>
      this.intValue(`podSecurityContext.supplementalGroups[${i}]`, g) ?? []);
    sc.supplementalGroups = groups.length ? groups : undefined;
    const sysctls = this.list('podSecurityContext.sysctls').map((s, i) => {
      const m = this.objValue(`podSecurityContext.sysctls[${i}]`, s);
      return { name: String(m.name), value: String(m.value) };
    });
    sc.sysctls = sysctls.length ? sysctls : undefined;
    this.p.securityContext = sc;

    this.unsupportedIfSet('containerSecurityContext.seLinuxOptions', 'not supported: the library sets no SELinux options');
    this.raw('containerSecurityContext.runAsNonRoot'); // the library always sets runAsNonRoot: true with an explicit non-root uid
    this.hardenedOnly('containerSecurityContext');
  }

  /** privileged, allowPrivilegeEscalation, readOnlyRootFilesystem, capabilities and seccomp: only the hardened values. */
  private hardenedOnly(prefix: string): void {
    const reason = 'not supported: the library\'s containers are never privileged, never escalate, have a read-only root filesystem, '
      + 'drop all capabilities and use the RuntimeDefault seccomp profile';
    this.unsupportedIfSet(`${prefix}.privileged`, reason);
    this.unsupportedIfSet(`${prefix}.allowPrivilegeEscalation`, reason);
    this.unsupportedIfSet(`${prefix}.readOnlyRootFilesystem`, reason);
    this.unsupportedIfSet(`${prefix}.seccompProfile.type`, reason);
    if (!this.list(`${prefix}.capabilities.drop`).includes('ALL')) {
      this.issue(`${prefix}.capabilities.drop`, reason);
    }
  }

  private preset(path: string): ResourcesPreset | undefined {
    const name = this.str(path);
    if (!this.isSet(path)) {
      return undefined;
    }
    return this.attempt(path, () => ResourcesPreset.of(name));
  }

  private resources(path: string, raw: JsonMap): kplus.ContainerResources | undefined {
    this.fields(path, raw, ['requests', 'limits']);
    const get = (kind: 'requests' | 'limits') => {
      const m = this.objValue(`${path}.${kind}`, raw[kind]);
      this.fields(`${path}.${kind}`, m, ['cpu', 'memory', 'ephemeral-storage'], 'cdk8s-plus containers take cpu, memory and ephemeral-storage only');
      return {
        cpu: m.cpu === undefined || m.cpu === null ? undefined : this.cpu(`${path}.${kind}.cpu`, m.cpu),
        memory: m.memory === undefined || m.memory === null ? undefined : this.size(`${path}.${kind}.memory`, m.memory),
        storage: m['ephemeral-storage'] === undefined || m['ephemeral-storage'] === null
          ? undefined : this.size(`${path}.${kind}.ephemeral-storage`, m['ephemeral-storage']),
      };
    };
    const requests = get('requests');
    const limits = get('limits');
    const pair = <T>(request?: T, limit?: T) => (request || limit ? { request, limit } : undefined);
    const r: kplus.ContainerResources = {
      cpu: pair(requests.cpu, limits.cpu),
      memory: pair(requests.memory, limits.memory),
      ephemeralStorage: pair(requests.storage, limits.storage),
    };
    return r.cpu || r.memory || r.ephemeralStorage ? r : undefined;
  }

  private cpu(path: string, raw: Json): kplus.Cpu | undefined {
    const s = String(raw).trim();
    const m = /^([0-9]+(\.[0-9]+)?)(m?)$/.exec(s);
    if (!m) {
      this.issue(path, `must be a CPU quantity such as "250m" or "1.5" (got ${describe(raw)})`);
      return undefined;
    }
    const millis = m[3] ? Number(m[1]) : Number(m[1]) * 1000;
    if (!Number.isInteger(millis)) {
      this.issue(path, `must be a whole number of millicores (got ${describe(raw)})`);
      return undefined;
    }
    return millis % 1000 === 0 ? kplus.Cpu.units(millis / 1000) : kplus.Cpu.millis(millis);
  }

  private size(path: string, raw: Json): Size | undefined {
    const bytes = quantityBytes(raw);
    if (bytes === undefined || bytes <= 0) {
      this.issue(path, `must be a size such as "8Gi" or "512Mi" (got ${describe(raw)})`);
      return undefined;
    }
    // Whole KiB (decimal units such as "1G" are rounded up to the next KiB).
    return Size.kibibytes(Math.ceil(bytes / 1024));
  }

  private probes(): void {
    const probes: Mutable<EtcdProbes> = {};
    for (const kind of ['liveness', 'readiness', 'startup'] as const) {
      const at = `${kind}Probe`;
      const custom = `custom${kind[0].toUpperCase()}${kind.slice(1)}Probe`;
      const enabled = this.bool(`${at}.enabled`);
      const timings = {
        initialDelay: this.timingIfSet(`${at}.initialDelaySeconds`, 0),
        period: this.timingIfSet(`${at}.periodSeconds`, 1),
        timeout: this.timingIfSet(`${at}.timeoutSeconds`, 1),
        failureThreshold: this.isSet(`${at}.failureThreshold`) ? this.int(`${at}.failureThreshold`, 1) : undefined,
        successThreshold: this.isSet(`${at}.successThreshold`) ? this.int(`${at}.successThreshold`, 1) : undefined,
      };
      [`${at}.failureThreshold`, `${at}.successThreshold`].forEach(path => this.raw(path));
      const customProbe = this.obj(custom);
      let options: EtcdProbeOptions | undefined;
      if (Object.keys(customProbe).length) {
        // The chart uses a custom probe whether or not the probe is enabled.
        const probe = this.probe(custom, customProbe, true);
        options = probe ? { probe } : undefined;
      } else if (kind === 'startup') {
        // The chart has no startup probe by default; the library's gates the others (no initial delays needed).
        options = enabled ? definedOnly(timings) : undefined;
      } else if (!enabled) {
        options = { enabled: false };
      } else {
        options = definedOnly(timings);
      }
      if (options) {
        probes[kind] = options;
      }
    }
    this.p.probes = Object.keys(probes).length ? probes : undefined;
  }

  /** A probe timing in seconds as a Duration, when the value differs from the chart's default. */
  private timingIfSet(path: string, min: number): Duration | undefined {
    const n = this.int(path, min);
    return this.isSet(path) && n !== undefined ? Duration.seconds(n) : undefined;
  }

  /** A Kubernetes probe as a cdk8s-plus Probe; `etcd` restricts exec commands to what the etcd image has. */
  private probe(path: string, raw: JsonMap, etcd: boolean): kplus.Probe | undefined {
    this.fields(path, raw, ['exec', 'httpGet', 'tcpSocket', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold',
      'successThreshold']);
    const seconds = (key: string) => {
      const n = this.intValue(`${path}.${key}`, raw[key], 0);
      return n === undefined ? undefined : Duration.seconds(n);
    };
    const options: kplus.ProbeOptions = {
      initialDelaySeconds: seconds('initialDelaySeconds'),
      periodSeconds: seconds('periodSeconds'),
      timeoutSeconds: seconds('timeoutSeconds'),
      failureThreshold: this.intValue(`${path}.failureThreshold`, raw.failureThreshold, 1),
      successThreshold: this.intValue(`${path}.successThreshold`, raw.successThreshold, 1),
    };
    if (isMap(raw.httpGet)) {
      const h = raw.httpGet;
      this.fields(`${path}.httpGet`, h, ['path', 'port', 'scheme', 'host']);
      const scheme = h.scheme === undefined ? undefined : String(h.scheme).toUpperCase() === 'HTTPS' ? kplus.ConnectionScheme.HTTPS : kplus.ConnectionScheme.HTTP;
      return kplus.Probe.fromHttpGet(String(h.path ?? '/'), { ...options, port: this.portNumber(`${path}.httpGet.port`, h.port), scheme, host: h.host });
    }
    if (isMap(raw.tcpSocket)) {
      this.fields(`${path}.tcpSocket`, raw.tcpSocket, ['port', 'host']);
      return kplus.Probe.fromTcpSocket({ ...options, port: this.portNumber(`${path}.tcpSocket.port`, raw.tcpSocket.port), host: raw.tcpSocket.host });
    }
    if (isMap(raw.exec)) {
      const command = etcd ? this.etcdCommand(`${path}.exec.command`, raw.exec.command) : this.listValue(`${path}.exec.command`, raw.exec.command).map(String);
      return command && kplus.Probe.fromCommand(command, options);
    }
    this.issue(path, `must have an exec, httpGet or tcpSocket action, got ${describe(raw)}`);
    return undefined;
  }

  private volume(path: string, raw: Json): kplus.Volume | undefined {
    const v = this.objValue(path, raw);
    const name = typeof v.name === 'string' ? v.name : '';
    if (!DNS_LABEL.test(name)) {
      this.issue(`${path}.name`, `must be a volume name (got ${describe(v.name)})`);
      return undefined;
    }
    this.fields(path, v, ['name', 'configMap', 'secret', 'emptyDir', 'persistentVolumeClaim', 'hostPath'],
      'the mapping converts configMap, secret, emptyDir, persistentVolumeClaim and hostPath volumes; add others with `extraVolumes`');
    const id = this.refs.id('Volume');
    const items = (at: string, list: Json) => {
      const entries = this.listValue(at, list).map(it => [String(it.key), { path: String(it.path), mode: it.mode }] as const);
      return entries.length ? Object.fromEntries(entries) : undefined;
    };
    let volume: kplus.Volume | undefined;
    if (isMap(v.configMap)) {
      const c = v.configMap;
      this.fields(`${path}.configMap`, c, ['name', 'defaultMode', 'optional', 'items']);
      volume = kplus.Volume.fromConfigMap(this.refs, id, this.refs.configMap(String(c.name)),
        { name, defaultMode: c.defaultMode, optional: c.optional, items: items(`${path}.configMap.items`, c.items) });
    } else if (isMap(v.secret)) {
      const s = v.secret;
      this.fields(`${path}.secret`, s, ['secretName', 'defaultMode', 'optional', 'items']);
      volume = kplus.Volume.fromSecret(this.refs, id, this.refs.secret(String(s.secretName)),
        { name, defaultMode: s.defaultMode, optional: s.optional, items: items(`${path}.secret.items`, s.items) });
    } else if (isMap(v.emptyDir)) {
      const e = v.emptyDir;
      this.fields(`${path}.emptyDir`, e, ['medium', 'sizeLimit']);
      volume = kplus.Volume.fromEmptyDir(this.refs, id, name, {
        medium: e.medium === 'Memory' ? kplus.EmptyDirMedium.MEMORY : undefined,
        sizeLimit: e.sizeLimit === undefined ? undefined : this.size(`${path}.emptyDir.sizeLimit`, e.sizeLimit),
      });
    } else if (isMap(v.persistentVolumeClaim)) {
      const c = v.persistentVolumeClaim;
      this.fields(`${path}.persistentVolumeClaim`, c, ['claimName', 'readOnly']);
      volume = kplus.Volume.fromPersistentVolumeClaim(this.refs, id, this.refs.claim(String(c.claimName)), { name, readOnly: c.readOnly });
    } else if (isMap(v.hostPath)) {
      const h = v.hostPath;
      this.fields(`${path}.hostPath`, h, ['path', 'type']);
      volume = kplus.Volume.fromHostPath(this.refs, id, name, { path: String(h.path), type: h.type });
    } else {
      this.issue(path, 'not supported: the mapping converts configMap, secret, emptyDir, persistentVolumeClaim and hostPath volumes');
    }
    if (volume) {
      this.volumes.set(name, volume);
    }
    return volume;
  }

  private claimTemplates(): EtcdVolumeClaimTemplate[] {
    return this.list('extraVolumeClaimTemplates').flatMap((t, i) => {
      const at = `extraVolumeClaimTemplates[${i}]`;
      const m = this.objValue(at, t);
      this.fields(at, m, ['metadata', 'spec', 'apiVersion', 'kind']);
      const meta = this.objValue(`${at}.metadata`, m.metadata);
      this.fields(`${at}.metadata`, meta, ['name']);
      const spec = this.objValue(`${at}.spec`, m.spec);
      this.fields(`${at}.spec`, spec, ['accessModes', 'resources', 'storageClassName']);
      const storage = spec.resources?.requests?.storage;
      const size = storage === undefined ? undefined : this.size(`${at}.spec.resources.requests.storage`, storage);
      if (!size || typeof meta.name !== 'string') {
        if (!size && storage === undefined) {
          this.issue(`${at}.spec.resources.requests.storage`, 'is required');
        }
        return [];
      }
      return [{
        name: meta.name,
        size,
        storageClassName: spec.storageClassName,
        accessModes: spec.accessModes === undefined ? undefined : this.accessModes(`${at}.spec.accessModes`, spec.accessModes),
      }];
    });
  }

  private accessModes(path: string, raw: Json): kplus.PersistentVolumeAccessMode[] {
    const all = Object.values(kplus.PersistentVolumeAccessMode) as string[];
    return this.listValue(path, raw).flatMap(mode => {
      if (!all.includes(mode)) {
        this.issue(path, `has "${mode}"; use ${all.join(', ')}`);
        return [];
      }
      return [mode as kplus.PersistentVolumeAccessMode];
    });
  }

  /** A Kubernetes container (initContainers, sidecars) as cdk8s-plus container props. */
  private container(path: string, raw: Json): kplus.ContainerProps | undefined {
    const c = this.objValue(path, raw);
    this.fields(path, c, ['name', 'image', 'imagePullPolicy', 'command', 'args', 'workingDir', 'env', 'envFrom', 'ports', 'resources',
      'securityContext', 'volumeMounts', 'livenessProbe', 'readinessProbe', 'startupProbe']);
    if (typeof c.image !== 'string' || typeof c.name !== 'string') {
      this.issue(path, 'needs a name and an image');
      return undefined;
    }
    if (c.image.includes('{{')) {
      this.issue(`${path}.image`, 'is a Helm template; give the rendered value');
    }
    const env = this.envList(`${path}.env`, this.listValue(`${path}.env`, c.env), false);
    const envFrom = this.listValue(`${path}.envFrom`, c.envFrom).flatMap((e, i) => {
      const at = `${path}.envFrom[${i}]`;
      this.fields(at, e, ['configMapRef', 'secretRef', 'prefix']);
      if (isMap(e.configMapRef)) {
        return [kplus.Env.fromConfigMap(this.refs.configMap(String(e.configMapRef.name)), e.prefix)];
      }
      if (isMap(e.secretRef) && !e.prefix) {
        return [kplus.Env.fromSecret(this.refs.secret(String(e.secretRef.name)))];
      }
      this.issue(at, 'must be a configMapRef, or a secretRef without prefix');
      return [];
    });
    const ports = this.listValue(`${path}.ports`, c.ports).flatMap((port, i) => {
      const at = `${path}.ports[${i}]`;
      this.fields(at, port, ['containerPort', 'name', 'protocol']);
      const n = this.intValue(`${at}.containerPort`, port.containerPort, 1);
      return n === undefined ? [] : [{ number: n, name: port.name, protocol: port.protocol as kplus.Protocol | undefined }];
    });
    const mounts = this.listValue(`${path}.volumeMounts`, c.volumeMounts).flatMap((m, i) => {
      const at = `${path}.volumeMounts[${i}]`;
      this.fields(at, m, ['name', 'mountPath', 'readOnly', 'subPath']);
      const volume = this.volumes.get(String(m.name));
      if (!volume) {
        this.issue(`${at}.name`, `not supported: "${m.name}" is not among \`extraVolumes\` (the chart's own volumes, such as data, `
          + 'do not exist under these names in the library)');
        return [];
      }
      return [{ volume, path: String(m.mountPath), readOnly: m.readOnly, subPath: m.subPath }];
    });
    let securityContext: kplus.ContainerSecurityContextProps | undefined;
    if (c.securityContext !== undefined && c.securityContext !== null) {
      const s = this.objValue(`${path}.securityContext`, c.securityContext);
      this.fields(`${path}.securityContext`, s, ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'privileged', 'readOnlyRootFilesystem',
        'allowPrivilegeEscalation', 'capabilities', 'seccompProfile']);
      if (s.capabilities !== undefined && !deepEqual(s.capabilities, { drop: ['ALL'] })) {
        this.issue(`${path}.securityContext.capabilities`, 'not supported: only `drop: [ALL]`, which the library sets anyway');
      }
      if (s.seccompProfile !== undefined && !deepEqual(s.seccompProfile, { type: 'RuntimeDefault' })) {
        this.issue(`${path}.securityContext.seccompProfile`, 'not supported: only RuntimeDefault, which the library sets anyway');
      }
      securityContext = {
        user: s.runAsUser,
        group: s.runAsGroup,
        ensureNonRoot: s.runAsNonRoot,
        privileged: s.privileged,
        readOnlyRootFilesystem: s.readOnlyRootFilesystem,
        allowPrivilegeEscalation: s.allowPrivilegeEscalation,
      };
    }
    const probe = (key: string) => (isMap(c[key]) ? this.probe(`${path}.${key}`, c[key], false) : undefined);
    return {
      name: c.name,
      image: c.image,
      imagePullPolicy: c.imagePullPolicy === undefined ? undefined : this.enumValue(`${path}.imagePullPolicy`, c.imagePullPolicy, kplus.ImagePullPolicy),
      command: c.command === undefined ? undefined : this.listValue(`${path}.command`, c.command).map(String),
      args: c.args === undefined ? undefined : this.listValue(`${path}.args`, c.args).map(String),
      workingDir: c.workingDir,
      envVariables: Object.keys(env).length ? env : undefined,
      envFrom: envFrom.length ? envFrom : undefined,
      ports: ports.length ? ports : undefined,
      resources: c.resources === undefined ? undefined : this.resources(`${path}.resources`, this.objValue(`${path}.resources`, c.resources)),
      volumeMounts: mounts.length ? mounts : undefined,
      securityContext,
      liveness: probe('livenessProbe'),
      readiness: probe('readinessProbe'),
      startup: probe('startupProbe'),
    };
  }

  private enumValue<T extends string>(path: string, raw: Json, e: { [key: string]: T }): T | undefined {
    const all = Object.values(e) as string[];
    if (!all.includes(raw)) {
      this.issue(path, `must be one of ${all.join(', ')} (got ${describe(raw)})`);
      return undefined;
    }
    return raw as T;
  }

  // ---------------------------------------------------------------- scheduling

  private scheduling(): EtcdSchedulingOptions | undefined {
    const s: Mutable<EtcdSchedulingOptions> = {};
    const podAffinity = this.affinityPreset('podAffinityPreset');
    const podAntiAffinity = this.affinityPreset('podAntiAffinityPreset');
    const nodeType = this.affinityPreset('nodeAffinityPreset.type');
    const nodeKey = this.str('nodeAffinityPreset.key');
    const nodeValues = this.list('nodeAffinityPreset.values').map(String);
    const affinity = this.obj('affinity');
    if (Object.keys(affinity).length) {
      // The chart ignores the presets when `affinity` is set.
      s.affinity = this.affinity('affinity', affinity);
    } else {
      if (podAntiAffinity !== AffinityPreset.SOFT) {
        s.podAntiAffinity = podAntiAffinity;
      }
      if (podAffinity !== AffinityPreset.NONE) {
        s.podAffinity = podAffinity;
      }
      if (nodeType !== AffinityPreset.NONE) {
        if (!nodeKey || !nodeValues.length) {
          this.issue('nodeAffinityPreset.key', `and \`nodeAffinityPreset.values\` are needed with type ${nodeType}`);
        }
        s.nodeAffinity = { type: nodeType, key: nodeKey, values: nodeValues };
      }
    }
    s.nodeSelector = this.strMap('nodeSelector');
    const tolerations = this.list('tolerations').flatMap((t, i) => this.toleration(`tolerations[${i}]`, t) ?? []);
    s.tolerations = tolerations.length ? tolerations : undefined;
    const spread = this.list('topologySpreadConstraints').flatMap((t, i) => this.spread(`topologySpreadConstraints[${i}]`, t) ?? []);
    s.topologySpread = spread.length ? spread : undefined;
    return Object.values(s).some(v => v !== undefined) ? s : undefined;
  }

  private affinityPreset(path: string): AffinityPreset {
    const v = this.str(path);
    switch (v) {
      case 'soft': return AffinityPreset.SOFT;
      case 'hard': return AffinityPreset.HARD;
      case '': return AffinityPreset.NONE;
      default:
        this.issue(path, `must be "", soft or hard (got "${v}")`);
        return AffinityPreset.NONE;
    }
  }

  /** Whether a label selector selects this release's members (so the term becomes "this cluster's members"). */
  private selectsMembers(labels: { [key: string]: string } | undefined, expressions: Json): boolean {
    if (!labels || expressions !== undefined || this.release === undefined) {
      return false;
    }
    const member: { [key: string]: string } = {
      'app.kubernetes.io/name': this.str('nameOverride') || 'etcd',
      'app.kubernetes.io/instance': this.release,
      'app.kubernetes.io/component': 'etcd',
    };
    const keys = Object.keys(labels);
    return keys.includes('app.kubernetes.io/instance') && keys.every(k => member[k] === labels[k]);
  }

  private affinity(path: string, raw: JsonMap): EtcdAffinity | undefined {
    this.fields(path, raw, ['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
    const nodeTerms: EtcdNodeAffinityTerm[] = [];
    if (raw.nodeAffinity !== undefined) {
      const n = this.objValue(`${path}.nodeAffinity`, raw.nodeAffinity);
      const at = `${path}.nodeAffinity`;
      this.fields(at, n, ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution']);
      const required = this.objValue(`${at}.requiredDuringSchedulingIgnoredDuringExecution`, n.requiredDuringSchedulingIgnoredDuringExecution);
      this.listValue(`${at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, required.nodeSelectorTerms).forEach((t, i) => {
        const matches = this.nodeQueries(`${at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`, t);
        nodeTerms.push({ matches });
      });
      this.listValue(`${at}.preferredDuringSchedulingIgnoredDuringExecution`, n.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
        const term = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
        this.fields(term, t, ['weight', 'preference']);
        nodeTerms.push({ matches: this.nodeQueries(`${term}.preference`, t.preference), weight: this.intValue(`${term}.weight`, t.weight, 1) });
      });
    }
    const podTerms = (kind: 'podAffinity' | 'podAntiAffinity'): EtcdPodAffinityTerm[] => {
      if (raw[kind] === undefined) {
        return [];
      }
      const at = `${path}.${kind}`;
      const a = this.objValue(at, raw[kind]);
      this.fields(at, a, ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution']);
      const terms: EtcdPodAffinityTerm[] = [];
      this.listValue(`${at}.requiredDuringSchedulingIgnoredDuringExecution`, a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
        const term = this.podTerm(`${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, t);
        if (term) {
          terms.push(term);
        }
      });
      this.listValue(`${at}.preferredDuringSchedulingIgnoredDuringExecution`, a.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
        const tat = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
        this.fields(tat, t, ['weight', 'podAffinityTerm']);
        const term = this.podTerm(`${tat}.podAffinityTerm`, t.podAffinityTerm);
        if (term) {
          terms.push({ ...term, weight: this.intValue(`${tat}.weight`, t.weight, 1) });
        }
      });
      return terms;
    };
    const affinity: EtcdAffinity = {
      nodeAffinity: nodeTerms.length ? nodeTerms : undefined,
      podAffinity: nonEmpty(podTerms('podAffinity')),
      podAntiAffinity: nonEmpty(podTerms('podAntiAffinity')),
    };
    return affinity.nodeAffinity || affinity.podAffinity || affinity.podAntiAffinity ? affinity : undefined;
  }

  private nodeQueries(path: string, raw: Json): kplus.NodeLabelQuery[] {
    const t = this.objValue(path, raw);
    this.fields(path, t, ['matchExpressions'], 'matchFields cannot be expressed with cdk8s-plus node queries');
    return this.listValue(`${path}.matchExpressions`, t.matchExpressions).flatMap((e, i) => {
      const at = `${path}.matchExpressions[${i}]`;
      const key = String(e.key);
      const values = this.listValue(`${at}.values`, e.values).map(String);
      switch (e.operator) {
        case 'In': return [kplus.NodeLabelQuery.in(key, values)];
        case 'NotIn': return [kplus.NodeLabelQuery.notIn(key, values)];
        case 'Exists': return [kplus.NodeLabelQuery.exists(key)];
        case 'DoesNotExist': return [kplus.NodeLabelQuery.doesNotExist(key)];
        case 'Gt': return [kplus.NodeLabelQuery.gt(key, values)];
        case 'Lt': return [kplus.NodeLabelQuery.lt(key, values)];
        default:
          this.issue(`${at}.operator`, `must be In, NotIn, Exists, DoesNotExist, Gt or Lt (got ${describe(e.operator)})`);
          return [];
      }
    });
  }

  private labelExpressions(path: string, raw: Json): kplus.LabelExpression[] | undefined {
    if (raw === undefined || raw === null) {
      return undefined;
    }
    return this.listValue(path, raw).flatMap((e, i) => {
      const key = String(e.key);
      const values = this.listValue(`${path}[${i}].values`, e.values).map(String);
      switch (e.operator) {
        case 'In': return [kplus.LabelExpression.in(key, values)];
        case 'NotIn': return [kplus.LabelExpression.notIn(key, values)];
        case 'Exists': return [kplus.LabelExpression.exists(key)];
        case 'DoesNotExist': return [kplus.LabelExpression.doesNotExist(key)];
        default:
          this.issue(`${path}[${i}].operator`, `must be In, NotIn, Exists or DoesNotExist (got ${describe(e.operator)})`);
          return [];
      }
    });
  }

  private podTerm(path: string, raw: Json): EtcdPodAffinityTerm | undefined {
    const t = this.objValue(path, raw);
    this.fields(path, t, ['labelSelector', 'topologyKey', 'namespaces', 'namespaceSelector']);
    const topology = typeof t.topologyKey === 'string' ? kplus.Topology.custom(t.topologyKey) : undefined;
    const selector = this.objValue(`${path}.labelSelector`, t.labelSelector);
    this.fields(`${path}.labelSelector`, selector, ['matchLabels', 'matchExpressions']);
    const labels = this.strMapValue(`${path}.labelSelector.matchLabels`, selector.matchLabels);
    if (this.selectsMembers(labels, selector.matchExpressions) && t.namespaces === undefined && t.namespaceSelector === undefined) {
      return { topology };
    }
    const namespaces = this.namespaces(path, t);
    const pods = kplus.Pods.select(this.refs, this.refs.id('Pods'), {
      labels,
      expressions: this.labelExpressions(`${path}.labelSelector.matchExpressions`, selector.matchExpressions),
      namespaces,
    });
    return { pods, topology };
  }

  private namespaces(path: string, t: JsonMap): kplus.Namespaces | undefined {
    const names = t.namespaces === undefined ? undefined : this.listValue(`${path}.namespaces`, t.namespaces).map(String);
    if (t.namespaceSelector === undefined && !names?.length) {
      return undefined;
    }
    const ns = this.objValue(`${path}.namespaceSelector`, t.namespaceSelector);
    this.fields(`${path}.namespaceSelector`, ns, ['matchLabels', 'matchExpressions']);
    return kplus.Namespaces.select(this.refs, this.refs.id('Namespaces'), {
      names: names?.length ? names : undefined,
      labels: this.strMapValue(`${path}.namespaceSelector.matchLabels`, ns.matchLabels),
      expressions: this.labelExpressions(`${path}.namespaceSelector.matchExpressions`, ns.matchExpressions),
    });
  }

  private toleration(path: string, raw: Json): EtcdToleration | undefined {
    const t = this.objValue(path, raw);
    this.fields(path, t, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    const seconds = this.intValue(`${path}.tolerationSeconds`, t.tolerationSeconds, 0);
    return {
      key: t.key === undefined || t.key === '' ? undefined : String(t.key),
      operator: t.operator === undefined ? undefined : this.enumValue(`${path}.operator`, t.operator, TolerationOperator),
      value: t.value === undefined || t.value === null ? undefined : String(t.value),
      effect: t.effect === undefined || t.effect === '' ? undefined : this.enumValue(`${path}.effect`, t.effect, kplus.TaintEffect),
      evictAfter: seconds === undefined ? undefined : Duration.seconds(seconds),
    };
  }

  private taintQuery(path: string, raw: Json): kplus.NodeTaintQuery | undefined {
    const t = this.toleration(path, raw);
    if (!t) {
      return undefined;
    }
    const options = { effect: t.effect, evictAfter: t.evictAfter };
    if (t.operator === TolerationOperator.EXISTS) {
      if (t.key) {
        return kplus.NodeTaintQuery.exists(t.key, options);
      }
      if (t.effect || t.evictAfter) {
        this.issue(path, 'not supported: a toleration of every key limited to an effect cannot be expressed with cdk8s-plus (NodeTaintQuery.any())');
        return undefined;
      }
      return kplus.NodeTaintQuery.any();
    }
    if (!t.key) {
      this.issue(`${path}.key`, 'is required with operator Equal');
      return undefined;
    }
    return kplus.NodeTaintQuery.is(t.key, t.value ?? '', options);
  }

  private spread(path: string, raw: Json): EtcdTopologySpread | undefined {
    const t = this.objValue(path, raw);
    this.fields(path, t, ['maxSkew', 'topologyKey', 'whenUnsatisfiable', 'minDomains', 'labelSelector'],
      'the library spreads the members only, by topology key, maxSkew, whenUnsatisfiable and minDomains');
    if (t.labelSelector !== undefined) {
      const selector = this.objValue(`${path}.labelSelector`, t.labelSelector);
      if (!this.selectsMembers(this.strMapValue(`${path}.labelSelector.matchLabels`, selector.matchLabels), selector.matchExpressions)) {
        this.issue(`${path}.labelSelector`, 'not supported: the library spreads this cluster\'s members; the selector must select this '
          + 'release\'s etcd pods (app.kubernetes.io/instance: <release>, or leave it out)');
      }
    }
    return {
      topology: typeof t.topologyKey === 'string' ? kplus.Topology.custom(t.topologyKey) : undefined,
      maxSkew: this.intValue(`${path}.maxSkew`, t.maxSkew, 1),
      whenUnsatisfiable: t.whenUnsatisfiable === undefined ? undefined : this.enumValue(`${path}.whenUnsatisfiable`, t.whenUnsatisfiable, WhenUnsatisfiable),
      minDomains: this.intValue(`${path}.minDomains`, t.minDomains, 1),
    };
  }

  // ---------------------------------------------------------------- traffic exposure

  private traffic(): void {
    const p = this.p;
    const type = this.str('service.type');
    const types: { [t: string]: kplus.ServiceType } = {
      ClusterIP: kplus.ServiceType.CLUSTER_IP, NodePort: kplus.ServiceType.NODE_PORT, LoadBalancer: kplus.ServiceType.LOAD_BALANCER,
    };
    if (!(type in types)) {
      this.issue('service.type', `must be ClusterIP, NodePort or LoadBalancer (got "${type}")`);
    }
    const exposed = type === 'NodePort' || type === 'LoadBalancer';
    const lb = type === 'LoadBalancer';
    const separate = this.bool('metrics.useSeparateEndpoint');
    const s: Mutable<EtcdClientServiceOptions> = {};
    if (type !== 'ClusterIP' && type in types) {
      s.type = types[type];
    }
    if (!this.bool('service.enabled')) {
      this.issue('service.enabled', 'not supported: the library always renders the client Service');
    }
    s.clusterIP = this.str('service.clusterIP') || undefined;
    const clientPort = this.int('service.ports.client', 1);
    if (clientPort !== undefined && clientPort !== this.clientPort) {
      s.port = clientPort;
    }
    this.unsupportedIfSet('service.ports.peer', 'not supported: the library\'s client Service has no peer port (members reach each other '
      + 'through the headless Service)');
    const servicePortMetrics = this.int('service.ports.metrics', 1);
    if (separate && servicePortMetrics !== undefined && servicePortMetrics !== this.metricsPort) {
      this.issue('service.ports.metrics', `not supported: the client Service's metrics port is the container's (\`containerPorts.metrics\`, ${this.metricsPort})`);
    }
    const nodeClient = this.int('service.nodePorts.client', 1);
    const nodePeer = this.int('service.nodePorts.peer', 1);
    const nodeMetrics = this.int('service.nodePorts.metrics', 1);
    if (exposed) {
      s.nodePort = nodeClient;
      if (nodePeer !== undefined) {
        this.issue('service.nodePorts.peer', 'not supported: the library\'s client Service has no peer port');
      }
      if (nodeMetrics !== undefined && separate) {
        this.issue('service.nodePorts.metrics', 'not supported: the library\'s client Service takes no node port for metrics');
      }
    }
    for (const which of ['client', 'peer', 'metrics']) {
      this.unsupportedIfSet(`service.${which}PortNameOverride`, `not supported: the library names the ports "${which}" (probes, monitors and `
        + 'network policies refer to them)');
    }
    const lbIp = this.str('service.loadBalancerIP');
    const lbClass = this.str('service.loadBalancerClass');
    const ranges = this.list('service.loadBalancerSourceRanges').map(String);
    if (lb) {
      s.loadBalancerIP = lbIp || undefined;
      s.loadBalancerClass = lbClass || undefined;
      s.loadBalancerSourceRanges = ranges.length ? ranges : undefined;
    }
    const externalIPs = this.list('service.externalIPs').map(String);
    s.externalIPs = externalIPs.length ? externalIPs : undefined;
    const policy = this.str('service.externalTrafficPolicy');
    if (exposed && policy === 'Local') {
      s.externalTrafficPolicy = ExternalTrafficPolicy.LOCAL;
    } else if (!['Cluster', 'Local'].includes(policy)) {
      this.issue('service.externalTrafficPolicy', `must be Cluster or Local (got "${policy}")`);
    }
    const extraPorts = this.list('service.extraPorts').flatMap((port, i) => {
      const at = `service.extraPorts[${i}]`;
      const m = this.objValue(at, port);
      this.fields(at, m, ['name', 'port', 'targetPort', 'nodePort', 'protocol']);
      const n = this.intValue(`${at}.port`, m.port, 1);
      if (m.targetPort !== undefined && typeof m.targetPort !== 'number' && !/^[0-9]+$/.test(String(m.targetPort))) {
        this.issue(`${at}.targetPort`, 'not supported: cdk8s-plus Service ports take a target port number, not a name');
        return [];
      }
      return n === undefined ? [] : [{
        name: m.name,
        port: n,
        targetPort: m.targetPort === undefined ? undefined : Number(m.targetPort),
        nodePort: m.nodePort,
        protocol: m.protocol as kplus.Protocol | undefined,
      }];
    });
    s.extraPorts = extraPorts.length ? extraPorts : undefined;
    s.annotations = this.strMap('service.annotations');
    const affinity = this.str('service.sessionAffinity');
    const affinityConfig = this.obj('service.sessionAffinityConfig');
    if (affinity === 'ClientIP') {
      s.sessionAffinity = SessionAffinity.CLIENT_IP;
      const timeout = affinityConfig.clientIP?.timeoutSeconds;
      this.fields('service.sessionAffinityConfig', affinityConfig, ['clientIP']);
      if (timeout !== undefined) {
        const n = this.intValue('service.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 1);
        s.sessionAffinityTimeout = n === undefined ? undefined : Duration.seconds(n);
      }
    } else if (affinity !== 'None') {
      this.issue('service.sessionAffinity', `must be None or ClientIP (got "${affinity}")`);
    }
    if (Object.values(s).some(v => v !== undefined)) {
      p.clientService = s;
    }
    p.headlessServiceAnnotations = this.strMap('service.headless.annotations');
  }

  // ---------------------------------------------------------------- persistence

  private persistence(): void {
    const enabled = this.bool('persistence.enabled');
    const globalClass = this.user.has('global.storageClass') ? this.str('global.storageClass') : '';
    this.raw('global.storageClass');
    const valuesClass = this.str('persistence.storageClass');
    const defaultClass = this.str('global.defaultStorageClass');
    const storageClass = globalClass || valuesClass || defaultClass;
    const size = this.size('persistence.size', this.raw('persistence.size'));
    const selector = this.obj('persistence.selector');
    this.fields('persistence.selector', selector, ['matchLabels'], 'the library selects volumes by labels only');
    const retentionEnabled = this.bool('persistentVolumeClaimRetentionPolicy.enabled');
    const whenScaled = this.retention('persistentVolumeClaimRetentionPolicy.whenScaled');
    const whenDeleted = this.retention('persistentVolumeClaimRetentionPolicy.whenDeleted');
    const persistence: Mutable<EtcdPersistence> = {
      // What keeps an adopted release's volumes and data: claims `data-<name>-<i>`, data in /bitnami/etcd/data.
      claimTemplateName: 'data',
      mountPath: '/bitnami/etcd',
      enabled: enabled ? undefined : false,
      storageClassName: storageClass === '-' ? '' : storageClass || undefined,
      annotations: this.strMap('persistence.annotations'),
      labels: this.strMap('persistence.labels'),
      accessModes: this.isSet('persistence.accessModes') ? this.accessModes('persistence.accessModes', this.raw('persistence.accessModes')) : undefined,
      size: this.isSet('persistence.size') ? size : undefined,
      selector: this.strMapValue('persistence.selector.matchLabels', selector.matchLabels),
      retainWhenScaled: retentionEnabled ? whenScaled : undefined,
      retainWhenDeleted: retentionEnabled ? whenDeleted : undefined,
    };
    this.p.persistence = persistence;
    // The chart leaves etcd's 2 GiB quota whatever the volume; the library wants the quota to fit the volume.
    if (enabled && size && size.toKibibytes() < Size.gibibytes(2).toKibibytes() && this.p.quotaBackendBytes === undefined) {
      this.p.quotaBackendBytes = size;
    }
  }

  private retention(path: string): PvcRetention | undefined {
    const v = this.str(path);
    if (v !== 'Retain' && v !== 'Delete') {
      this.issue(path, `must be Retain or Delete (got "${v}")`);
      return undefined;
    }
    return v as PvcRetention;
  }

  private volumePermissions(): void {
    if (this.bool('volumePermissions.enabled')) {
      this.issue('volumePermissions.enabled', 'not supported: the library never runs a container as root; the volumes get their group from '
        + '`podSecurityContext.fsGroup` (Kubernetes changes ownership on mount). For volumes that ignore fsGroup, chown them once by hand');
    }
    // Settings of the init container the library does not have.
    this.notNeeded('volumePermissions.image.registry', 'volumePermissions.image.repository', 'volumePermissions.image.tag',
      'volumePermissions.image.digest', 'volumePermissions.image.pullPolicy', 'volumePermissions.resourcesPreset', 'volumePermissions.resources');
  }

  // ---------------------------------------------------------------- network policy

  private networkPolicy(): void {
    const enabled = this.bool('networkPolicy.enabled');
    const allowExternal = this.bool('networkPolicy.allowExternal');
    const allowExternalEgress = this.bool('networkPolicy.allowExternalEgress');
    const nsLabels = this.strMap('networkPolicy.ingressNSMatchLabels');
    const nsPodLabels = this.strMap('networkPolicy.ingressNSPodMatchLabels');
    const extraIngress = this.list('networkPolicy.extraIngress').flatMap((r, i) => this.policyRule(`networkPolicy.extraIngress[${i}]`, r, 'from') ?? []);
    const extraEgress = this.list('networkPolicy.extraEgress').flatMap((r, i) => this.policyRule(`networkPolicy.extraEgress[${i}]`, r, 'to') ?? []);
    if (!enabled) {
      this.p.networkPolicy = { enabled: false };
      return;
    }
    const np: Mutable<EtcdNetworkPolicyOptions> = {};
    if (allowExternal) {
      np.allowExternal = true;
    } else {
      np.allowSameNamespace = false;
      if (this.fullname) {
        np.clientPeers = [NetworkPeer.labels({ [`${this.fullname}-client`]: 'true' })];
      } else {
        this.issue('networkPolicy.allowExternal', 'false needs `releaseName` (or `fullnameOverride`): clients are the pods labelled '
          + '`<fullname>-client: "true"`');
      }
      if (nsLabels) {
        np.clientNamespaceLabels = nsLabels;
        np.clientNamespacePodLabels = nsPodLabels;
      }
    }
    if (!allowExternalEgress) {
      np.allowExternalEgress = false;
      np.extraEgress = extraEgress.length ? extraEgress : undefined;
    }
    np.extraIngress = extraIngress.length ? extraIngress : undefined;
    this.p.networkPolicy = np;
  }

  private policyRule(path: string, raw: Json, direction: 'from' | 'to'): EtcdNetworkPolicyRule | undefined {
    const r = this.objValue(path, raw);
    this.fields(path, r, ['ports', direction]);
    const ports = r.ports === undefined ? undefined : this.listValue(`${path}.ports`, r.ports).flatMap((port, i) => {
      const at = `${path}.ports[${i}]`;
      this.fields(at, port, ['port', 'endPort', 'protocol']);
      if (port.port !== undefined && typeof port.port !== 'number' && !/^[0-9]+$/.test(String(port.port))) {
        this.issue(`${at}.port`, 'not supported: cdk8s-plus network policy ports are numbers, not names');
        return [];
      }
      const protocol = port.protocol === undefined ? undefined : this.enumValue(`${at}.protocol`, port.protocol, kplus.NetworkProtocol);
      return [kplus.NetworkPolicyPort.of({ port: port.port === undefined ? undefined : Number(port.port), endPort: port.endPort, protocol })];
    });
    const peers = r[direction] === undefined ? undefined : this.listValue(`${path}.${direction}`, r[direction]).flatMap((peer, i) => {
      const at = `${path}.${direction}[${i}]`;
      this.fields(at, peer, ['podSelector', 'namespaceSelector', 'ipBlock']);
      if (isMap(peer.ipBlock)) {
        this.fields(`${at}.ipBlock`, peer.ipBlock, ['cidr', 'except']);
        const except = peer.ipBlock.except === undefined ? undefined : this.listValue(`${at}.ipBlock.except`, peer.ipBlock.except).map(String);
        return [NetworkPeer.ipBlock(String(peer.ipBlock.cidr), except)];
      }
      const pods = peer.podSelector === undefined ? undefined : this.objValue(`${at}.podSelector`, peer.podSelector);
      const namespaces = peer.namespaceSelector === undefined ? undefined : this.objValue(`${at}.namespaceSelector`, peer.namespaceSelector);
      for (const [key, sel] of [['podSelector', pods], ['namespaceSelector', namespaces]] as const) {
        if (sel) {
          this.fields(`${at}.${key}`, sel, ['matchLabels'], 'the mapping converts matchLabels selectors only');
        }
      }
      const podLabels = pods ? this.strMapValue(`${at}.podSelector.matchLabels`, pods.matchLabels) ?? {} : {};
      const nsLabels = namespaces ? this.strMapValue(`${at}.namespaceSelector.matchLabels`, namespaces.matchLabels) ?? {} : undefined;
      return [NetworkPeer.labels(podLabels, nsLabels)];
    });
    return { ports: ports?.length ? ports : undefined, peers: peers?.length ? peers : undefined };
  }

  // ---------------------------------------------------------------- metrics

  private metrics(): void {
    const enabled = this.bool('metrics.enabled');
    this.raw('metrics.useSeparateEndpoint');
    this.onlyIf(enabled, () => this.metricsOptions(enabled));
  }

  private metricsOptions(enabled: boolean): void {
    const annotations = this.obj('metrics.podAnnotations');
    const annotationsSet = this.isSet('metrics.podAnnotations');
    const pm = {
      enabled: this.bool('metrics.podMonitor.enabled'),
      namespace: this.str('metrics.podMonitor.namespace'),
      interval: this.str('metrics.podMonitor.interval'),
      scrapeTimeout: this.str('metrics.podMonitor.scrapeTimeout'),
      labels: this.strMap('metrics.podMonitor.additionalLabels'),
      scheme: this.str('metrics.podMonitor.scheme'),
      tlsConfig: this.obj('metrics.podMonitor.tlsConfig'),
      relabelings: this.list('metrics.podMonitor.relabelings'),
    };
    const pr = {
      enabled: this.bool('metrics.prometheusRule.enabled'),
      namespace: this.str('metrics.prometheusRule.namespace'),
      labels: this.strMap('metrics.prometheusRule.additionalLabels'),
      rules: this.list('metrics.prometheusRule.rules'),
    };
    if (!enabled) {
      // The chart renders neither monitor nor rule without metrics.enabled.
      return;
    }
    const m: Mutable<EtcdMetricsOptions> = { enabled: true };
    if (annotationsSet) {
      const custom = this.strMapValue('metrics.podAnnotations', annotations);
      m.scrapeAnnotations = false;
      if (custom) {
        this.p.podAnnotations = { ...this.p.podAnnotations, ...custom };
      }
    }
    if (pm.enabled) {
      const monitor: Mutable<EtcdMonitorOptions> = { enabled: true, labels: pm.labels };
      if (pm.namespace) {
        if (this.namespace === undefined) {
          this.issue('metrics.podMonitor.namespace', 'needs the Chart\'s namespace: a PodMonitor in another namespace selects the members\' '
            + 'namespace by name; create the Chart with a namespace, or set this to ""');
        } else if (pm.namespace !== this.namespace) {
          monitor.namespace = pm.namespace;
        }
      }
      monitor.interval = this.promDuration('metrics.podMonitor.interval', pm.interval);
      monitor.scrapeTimeout = this.promDuration('metrics.podMonitor.scrapeTimeout', pm.scrapeTimeout);
      if (pm.scheme.toLowerCase() === 'https') {
        // HTTPS means the client port; the library's metrics port is plain HTTP.
        monitor.port = ScrapePort.CLIENT;
        monitor.scheme = ScrapeScheme.HTTPS;
        monitor.tlsConfig = Object.keys(pm.tlsConfig).length ? this.scrapeTls('metrics.podMonitor.tlsConfig', pm.tlsConfig) : undefined;
      } else if (pm.scheme.toLowerCase() !== 'http') {
        this.issue('metrics.podMonitor.scheme', `must be http or https (got "${pm.scheme}")`);
      }
      const relabelings = pm.relabelings.flatMap((r, i) => this.relabeling(`metrics.podMonitor.relabelings[${i}]`, r) ?? []);
      monitor.relabelings = relabelings.length ? relabelings : undefined;
      m.podMonitor = monitor;
    }
    if (pr.enabled) {
      const rule: Mutable<EtcdPrometheusRuleOptions> = { enabled: true, labels: pr.labels };
      if (pr.namespace && pr.namespace !== this.namespace) {
        rule.namespace = pr.namespace;
      }
      const defaults = EtcdMetrics.defaultAlertNames();
      const alerts = pr.rules.flatMap((r, i) => this.alertRule(`metrics.prometheusRule.rules[${i}]`, r) ?? []);
      const replaced = alerts.map(a => a.name).filter(n => defaults.includes(n));
      rule.extraAlerts = alerts.length ? alerts : undefined;
      rule.disabledAlerts = replaced.length ? replaced : undefined;
      m.prometheusRule = rule;
    }
    this.p.metrics = m;
  }

  private promDuration(path: string, v: string): Duration | undefined {
    if (!v) {
      return undefined;
    }
    const ms = promDurationMillis(v);
    if (ms === undefined || ms <= 0) {
      this.issue(path, `must be a Prometheus duration such as "30s" (got "${v}")`);
      return undefined;
    }
    return Duration.millis(ms);
  }

  private scrapeTls(path: string, t: JsonMap): EtcdScrapeTlsConfig {
    this.fields(path, t, ['ca', 'cert', 'keySecret', 'serverName', 'insecureSkipVerify'],
      'the mapping converts Secret-based ca, cert and keySecret, serverName and insecureSkipVerify');
    const fromSecret = (at: string, raw: Json): kplus.SecretValue | undefined => {
      if (raw === undefined || raw === null) {
        return undefined;
      }
      const s = this.objValue(at, raw);
      if (typeof s.name === 'string' && typeof s.key === 'string') {
        return { secret: this.refs.secret(s.name), key: s.key };
      }
      this.issue(at, 'not supported: only a Secret reference ({ secret: { name, key } }) can be mapped');
      return undefined;
    };
    return {
      ca: fromSecret(`${path}.ca.secret`, t.ca?.secret ?? (t.ca === undefined ? undefined : {})),
      cert: fromSecret(`${path}.cert.secret`, t.cert?.secret ?? (t.cert === undefined ? undefined : {})),
      key: fromSecret(`${path}.keySecret`, t.keySecret),
      serverName: t.serverName,
      insecureSkipVerify: t.insecureSkipVerify,
    };
  }

  private relabeling(path: string, raw: Json): EtcdRelabeling | undefined {
    const r = this.objValue(path, raw);
    this.fields(path, r, ['action', 'sourceLabels', 'separator', 'targetLabel', 'regex', 'modulus', 'replacement']);
    let action: RelabelAction | undefined;
    if (r.action !== undefined) {
      action = (Object.values(RelabelAction) as string[]).find(a => a === String(r.action).toLowerCase()) as RelabelAction | undefined;
      if (!action) {
        this.issue(`${path}.action`, `must be a Prometheus relabel action (got ${describe(r.action)})`);
      }
    }
    return {
      action,
      sourceLabels: r.sourceLabels === undefined ? undefined : this.listValue(`${path}.sourceLabels`, r.sourceLabels).map(String),
      separator: r.separator,
      targetLabel: r.targetLabel,
      regex: r.regex,
      modulus: r.modulus,
      replacement: r.replacement,
    };
  }

  private alertRule(path: string, raw: Json): EtcdAlertRule | undefined {
    const r = this.objValue(path, raw);
    this.fields(path, r, ['alert', 'expr', 'for', 'labels', 'annotations'], 'the library renders alerting rules only (no recording rules)');
    if (typeof r.alert !== 'string' || r.expr === undefined) {
      this.issue(path, 'must be an alerting rule with `alert` and `expr`');
      return undefined;
    }
    const labels = this.strMapValue(`${path}.labels`, r.labels) ?? {};
    const { severity, ...otherLabels } = labels;
    let level: AlertSeverity | undefined;
    if (severity !== undefined) {
      level = (Object.values(AlertSeverity) as string[]).includes(severity) ? severity as AlertSeverity : undefined;
      if (!level) {
        this.issue(`${path}.labels.severity`, `must be critical, warning or info (got "${severity}")`);
      }
    }
    const { summary, description, ...otherAnnotations } = this.strMapValue(`${path}.annotations`, r.annotations) ?? {};
    return {
      name: r.alert,
      expression: String(r.expr),
      pendingFor: r.for === undefined ? undefined : this.promDuration(`${path}.for`, String(r.for)),
      severity: level,
      summary,
      description,
      labels: Object.keys(otherLabels).length ? otherLabels : undefined,
      annotations: Object.keys(otherAnnotations).length ? otherAnnotations : undefined,
    };
  }

  // ---------------------------------------------------------------- snapshots and disaster recovery

  private snapshots(): void {
    const sfs = {
      enabled: this.bool('startFromSnapshot.enabled'),
      claim: this.str('startFromSnapshot.existingClaim'),
      file: this.str('startFromSnapshot.snapshotFilename'),
    };
    const drEnabled = this.bool('disasterRecovery.enabled');
    const subPath = this.str('disasterRecovery.pvc.subPath');
    const drClaim = this.onlyIf(drEnabled, () => this.disasterRecovery(drEnabled, sfs));
    if (sfs.enabled) {
      const claim = sfs.claim || (drEnabled ? drClaim : undefined);
      if (!claim) {
        this.issue('startFromSnapshot.existingClaim', drEnabled
          ? 'is needed: name the claim that holds the snapshot (the library\'s own snapshot claim has a name derived at synth time)'
          : 'is required with `startFromSnapshot.enabled` (the chart refuses it too)');
      }
      if (!sfs.file) {
        this.issue('startFromSnapshot.snapshotFilename', 'is required with `startFromSnapshot.enabled`');
      }
      if (claim && sfs.file) {
        const start: Mutable<EtcdStartFromSnapshotOptions> = { claimName: claim, fileName: sfs.file };
        if (!sfs.claim && subPath) {
          start.subPath = subPath;
        }
        this.p.startFromSnapshot = start;
      }
    }
  }

  /** Disaster recovery; returns the name of the snapshot claim when it is known. */
  private disasterRecovery(enabled: boolean, sfs: { enabled: boolean; claim: string; file: string }): string | undefined {
    const at = 'disasterRecovery.cronjob';
    const dr = {
      enabled,
      schedule: this.str(`${at}.schedule`),
      historyLimit: this.int(`${at}.historyLimit`),
      snapshotHistoryLimit: this.int(`${at}.snapshotHistoryLimit`, 1),
      snapshotsDir: this.str(`${at}.snapshotsDir`),
      existingClaim: this.str('disasterRecovery.pvc.existingClaim'),
      size: this.size('disasterRecovery.pvc.size', this.raw('disasterRecovery.pvc.size')),
      storageClassName: this.str('disasterRecovery.pvc.storageClassName'),
      subPath: this.str('disasterRecovery.pvc.subPath'),
    };
    const pod = this.jobPod(at);
    this.jobSecurityContexts(at);
    const command = this.isSet(`${at}.command`);
    this.isSet(`${at}.snapshotsDir`);

    let drClaim: string | undefined;
    if (dr.enabled) {
      if (!this.bool('persistence.enabled')) {
        this.issue('disasterRecovery.enabled', 'needs `persistence.enabled` (the chart refuses it too)');
      }
      if (command) {
        this.issue(`${at}.command`, 'not supported: the snapshot Job runs the library\'s snapshot script (atomic, verified, pruned)');
      }
      if (dr.snapshotsDir !== '/snapshots') {
        this.issue(`${at}.snapshotsDir`, 'not supported: the library writes the snapshots to the volume\'s root, or to `disasterRecovery.pvc.subPath`');
      }
      let volume: SnapshotVolume;
      if (dr.existingClaim) {
        drClaim = dr.existingClaim;
      } else if (sfs.enabled && sfs.claim) {
        // The chart then writes the snapshots to the start-from-snapshot claim.
        drClaim = sfs.claim;
      } else if (this.adopt && this.fullname) {
        drClaim = `${this.fullname}-snapshotter`;
      }
      if (drClaim) {
        volume = SnapshotVolume.fromClaim(drClaim);
      } else {
        volume = SnapshotVolume.newClaim({ size: dr.size, storageClassName: dr.storageClassName });
        drClaim = this.fullname && `${this.fullname}-snapshots`;
      }
      const options: Mutable<EtcdDisasterRecoveryOptions> = {
        ...pod,
        volume,
        subPath: dr.subPath || undefined,
        schedule: this.cron(`${at}.schedule`, dr.schedule),
        successfulJobsHistoryLimit: dr.historyLimit,
        snapshotsToKeep: dr.snapshotHistoryLimit,
      };
      this.p.disasterRecovery = options;
    }
    return drClaim;
  }

  /** The pod settings of a CronJob (podAnnotations, podLabels, nodeSelector, tolerations, resources, serviceAccountName). */
  private jobPod(at: string) {
    const tolerations = this.list(`${at}.tolerations`).flatMap((t, i) => this.taintQuery(`${at}.tolerations[${i}]`, t) ?? []);
    const sa = this.str(`${at}.serviceAccountName`);
    return {
      podAnnotations: this.strMap(`${at}.podAnnotations`),
      podLabels: this.strMap(`${at}.podLabels`),
      nodeSelector: this.strMap(`${at}.nodeSelector`),
      tolerations: tolerations.length ? tolerations : undefined,
      resourcesPreset: this.preset(`${at}.resourcesPreset`),
      resources: this.resources(`${at}.resources`, this.obj(`${at}.resources`)),
      serviceAccount: sa ? this.refs.serviceAccount(sa) : undefined,
    };
  }

  /**
   * The security contexts of a Job's pods: the library's Jobs run with the members' identity and the
   * hardened container settings, so only those values can be honoured.
   */
  private jobSecurityContexts(at: string): void {
    const reason = 'not supported: the library\'s Jobs run with the members\' security context (`containerSecurityContext.runAsUser`, '
      + '`runAsGroup`, `podSecurityContext.fsGroup`, ...) and its hardened container settings';
    // A value the user changed is honoured only when it equals the members' (the chart's default is never reported).
    const same = (suffix: string, member: string) => {
      if (this.isSet(`${at}.${suffix}`) && !deepEqual(this.raw(`${at}.${suffix}`), this.raw(member))) {
        this.issue(`${at}.${suffix}`, reason);
      }
    };
    const podKeys = ['enabled', 'fsGroupChangePolicy', 'sysctls', 'supplementalGroups', 'fsGroup'];
    if (at === 'preUpgradeJob') {
      // The chart's pre-upgrade Job never used these (its pod took the top-level podSecurityContext).
      this.notNeeded(...podKeys.map(k => `${at}.podSecurityContext.${k}`));
    } else {
      podKeys.forEach(k => same(`podSecurityContext.${k}`, `podSecurityContext.${k}`));
    }
    same('containerSecurityContext.enabled', 'containerSecurityContext.enabled');
    same('containerSecurityContext.seLinuxOptions', 'containerSecurityContext.seLinuxOptions');
    same('containerSecurityContext.runAsUser', 'containerSecurityContext.runAsUser');
    same('containerSecurityContext.runAsGroup', 'containerSecurityContext.runAsGroup');
    this.raw(`${at}.containerSecurityContext.runAsNonRoot`);
    this.hardenedOnly(`${at}.containerSecurityContext`);
  }

  private cron(path: string, expr: string): Cron | undefined {
    const macros: { [m: string]: string } = {
      '@hourly': '0 * * * *',
      '@daily': '0 0 * * *',
      '@midnight': '0 0 * * *',
      '@weekly': '0 0 * * 0',
      '@monthly': '0 0 1 * *',
      '@yearly': '0 0 1 1 *',
      '@annually': '0 0 1 1 *',
    };
    const fields = (macros[expr.trim()] ?? expr).trim().split(/\s+/);
    if (fields.length !== 5) {
      this.issue(path, `must be a five-field cron schedule such as "*/30 * * * *" (got "${expr}")`);
      return undefined;
    }
    const [minute, hour, day, month, weekDay] = fields;
    return Cron.schedule({ minute, hour, day, month, weekDay });
  }

  // ---------------------------------------------------------------- service account

  private serviceAccount(): void {
    const create = this.bool('serviceAccount.create');
    const name = this.str('serviceAccount.name');
    const annotations = this.strMap('serviceAccount.annotations');
    const labels = this.strMap('serviceAccount.labels');
    if (this.bool('serviceAccount.automountServiceAccountToken')) {
      this.issue('serviceAccount.automountServiceAccountToken', 'not supported: etcd needs no Kubernetes API access, so the library never mounts a token');
    }
    const sa: Mutable<EtcdServiceAccountOptions> = {};
    if (!create) {
      sa.existing = this.refs.serviceAccount(name || 'default');
    } else {
      if (name && name !== this.fullname) {
        this.issue('serviceAccount.name', `not supported: the library names the ServiceAccount it creates after the cluster${this.fullname
          ? ` ("${this.fullname}")` : ''}; create "${name}" yourself and set \`serviceAccount.create: false\``);
      }
      sa.annotations = annotations;
      sa.labels = labels;
    }
    if (Object.values(sa).some(v => v !== undefined)) {
      this.p.serviceAccount = sa;
    }
  }

  // ---------------------------------------------------------------- pre-upgrade Job

  private preUpgradeJob(): void {
    // The library's reconcile Job (not a Helm hook) removes unwanted members after every change.
    const enabled = this.bool('preUpgradeJob.enabled');
    this.onlyIf(enabled, () => this.preUpgradeSettings());
  }

  private preUpgradeSettings(): void {
    const at = 'preUpgradeJob';
    this.notNeeded(`${at}.annotations`, `${at}.startDelay`);
    const gap = 'not supported: the library\'s reconcile Job, which replaces the pre-upgrade Job, takes no affinity (it only talks to the members, '
      + 'so any node will do; use `nodeSelector` and `tolerations` to keep it on a pool)';
    for (const key of ['podAffinityPreset', 'podAntiAffinityPreset', 'nodeAffinityPreset.type', 'nodeAffinityPreset.key', 'nodeAffinityPreset.values', 'affinity']) {
      this.unsupportedIfSet(`${at}.${key}`, gap);
    }
    const tolerations = this.list(`${at}.tolerations`).flatMap((t, i) => this.taintQuery(`${at}.tolerations[${i}]`, t) ?? []);
    const options: Mutable<EtcdReconcileJobOptions> = {
      podAnnotations: this.strMap(`${at}.podAnnotations`),
      podLabels: this.strMap(`${at}.podLabels`),
      nodeSelector: this.strMap(`${at}.nodeSelector`),
      tolerations: tolerations.length ? tolerations : undefined,
      resourcesPreset: this.preset(`${at}.resourcesPreset`),
      resources: this.resources(`${at}.resources`, this.obj(`${at}.resources`)),
    };
    if (Object.values(options).some(v => v !== undefined) && !this.muted) {
      this.p.reconcileJob = options;
    }
    this.jobSecurityContexts(at);
    this.unsupportedIfSet(`${at}.containerSecurityContext.capabilities.add`, 'not supported: the library\'s containers add no capabilities');
  }

  // ---------------------------------------------------------------- defrag

  private defrag(): void {
    const enabled = this.bool('defrag.enabled');
    this.onlyIf(enabled, () => this.defragJob(enabled));
  }

  private defragJob(enabled: boolean): void {
    const at = 'defrag.cronjob';
    const pod = this.jobPod(at);
    this.jobSecurityContexts(at);
    const startingDeadline = this.int(`${at}.startingDeadlineSeconds`, 0);
    const activeDeadline = this.int(`${at}.activeDeadlineSeconds`, 1);
    const schedule = this.str(`${at}.schedule`);
    const concurrency = this.str(`${at}.concurrencyPolicy`);
    const suspend = this.bool(`${at}.suspend`);
    const successful = this.int(`${at}.successfulJobsHistoryLimit`);
    const failed = this.int(`${at}.failedJobsHistoryLimit`);
    const restart = this.str(`${at}.restartPolicy`);
    const setKeys = ['labels', 'annotations', 'command', 'args', 'extraEnvVars', 'extraEnvVarsCM', 'extraEnvVarsSecret']
      .filter(key => this.isSet(`${at}.${key}`));
    if (!enabled) {
      return;
    }
    const reasons: { [key: string]: string } = {
      labels: 'not supported: the library\'s CronJob carries the cluster\'s labels (`commonLabels`) only',
      annotations: 'not supported: the library\'s CronJob carries the cluster\'s annotations (`commonAnnotations`) only',
      command: 'not supported: the Job runs the library\'s defrag script (one member at a time, the leader last)',
      args: 'not supported: the Job runs the library\'s defrag script (one member at a time, the leader last)',
      extraEnvVars: 'not supported: the library\'s defrag script gets TLS and auth credentials itself and takes no extra environment',
      extraEnvVarsCM: 'not supported: the library\'s defrag script gets TLS and auth credentials itself and takes no extra environment',
      extraEnvVarsSecret: 'not supported: the library\'s defrag script gets TLS and auth credentials itself and takes no extra environment',
    };
    setKeys.forEach(key => this.issue(`${at}.${key}`, reasons[key]));
    if (restart !== 'OnFailure') {
      this.issue(`${at}.restartPolicy`, 'not supported: the library\'s Job pods restart OnFailure');
    }
    const policies: { [k: string]: kplus.ConcurrencyPolicy } = {
      Allow: kplus.ConcurrencyPolicy.ALLOW, Forbid: kplus.ConcurrencyPolicy.FORBID, Replace: kplus.ConcurrencyPolicy.REPLACE,
    };
    if (!(concurrency in policies)) {
      this.issue(`${at}.concurrencyPolicy`, `must be Allow, Forbid or Replace (got "${concurrency}")`);
    }
    const options: Mutable<EtcdDefragOptions> = {
      ...pod,
      schedule: this.cron(`${at}.schedule`, schedule),
      concurrencyPolicy: concurrency === 'Forbid' ? undefined : policies[concurrency],
      suspend: suspend || undefined,
      successfulJobsHistoryLimit: successful,
      failedJobsHistoryLimit: failed,
      startingDeadline: startingDeadline === undefined ? undefined : Duration.seconds(startingDeadline),
      activeDeadline: activeDeadline === undefined ? undefined : Duration.seconds(activeDeadline),
    };
    this.p.defrag = options;
  }

  // ---------------------------------------------------------------- PDB

  private disruptionBudget(): void {
    const create = this.bool('pdb.create');
    const minAvailable = this.str('pdb.minAvailable');
    const maxUnavailable = this.str('pdb.maxUnavailable');
    const minSet = this.isSet('pdb.minAvailable');
    const replicas = this.p.replicas ?? 1;
    if (!create) {
      this.p.podDisruptionBudget = { enabled: false };
      return;
    }
    const resolve = (path: string, v: string): number | undefined => {
      const pct = /^([0-9]+)%$/.exec(v);
      if (pct) {
        // Kubernetes rounds percentages up.
        return Math.ceil((Number(pct[1]) * replicas) / 100);
      }
      if (/^[0-9]+$/.test(v)) {
        return Number(v);
      }
      this.issue(path, `must be a number or a percentage such as "51%" (got "${v}")`);
      return undefined;
    };
    let budget: EtcdDisruptionBudgetOptions | undefined;
    if (maxUnavailable) {
      if (minSet && minAvailable) {
        this.issue('pdb.minAvailable', 'cannot be set together with `pdb.maxUnavailable` (Kubernetes refuses a budget with both); empty one of them');
      }
      const n = resolve('pdb.maxUnavailable', maxUnavailable);
      budget = n === undefined ? undefined : { enabled: true, maxUnavailable: Math.min(n, replicas) };
    } else if (!minAvailable) {
      budget = { enabled: true, maxUnavailable: Math.min(1, replicas) };
    } else if (minSet) {
      const n = resolve('pdb.minAvailable', minAvailable);
      budget = n === undefined ? undefined : { enabled: true, maxUnavailable: Math.max(0, replicas - n) };
    }
    // The default 51% is a quorum, which is what the library's default keeps (and it renders no
    // budget for 1 or 2 members, where 51% would block every node drain).
    this.p.podDisruptionBudget = budget;
  }
}

/**
 * The chart values a mapping of `values` leaves unread: a test hook that proves every value is
 * looked at, whatever the input.
 * @internal
 */
export function _unreadBitnamiValues(scope: Construct, values: Json, options: BitnamiMigrationOptions = {}): string[] {
  const mapper = new Mapper(scope, values, options);
  mapper.mapGroups();
  return mapper.unread();
}

// ------------------------------------------------------------------ helpers

function chartNamespace(scope: Construct): string | undefined {
  try {
    return Chart.of(scope).namespace;
  } catch {
    return undefined;
  }
}

function isMap(v: Json): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === undefined) {
    return 'nothing';
  }
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function emptyLike(d: Json): Json {
  if (Array.isArray(d)) {
    return [];
  }
  if (isMap(d)) {
    return {};
  }
  if (typeof d === 'boolean') {
    return false;
  }
  return '';
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter(k => a[k] !== undefined);
    const kb = Object.keys(b).filter(k => b[k] !== undefined);
    return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]));
  }
  // Helm values are loosely typed: 2379 and "2379", true and "true" render the same.
  if ((typeof a === 'number' || typeof a === 'boolean') && typeof b === 'string') {
    return String(a) === b;
  }
  if ((typeof b === 'number' || typeof b === 'boolean') && typeof a === 'string') {
    return String(b) === a;
  }
  return false;
}

function prefixOf(path: string): string {
  const known = DEFAULTS.map(([p]) => p).filter(p => path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  return known.sort((a, b) => b.length - a.length)[0] ?? path;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}

/** The options without undefined members; `undefined` when none is left. */
function definedOnly<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) as T : undefined;
}

/** Why an `extraEnvVars` name cannot go to the etcd container, or undefined when it can. */
function envReason(name: string): string | undefined {
  if (OWNED_ENV[name]) {
    return `set by the library; use ${OWNED_ENV[name].replace(/`([a-zA-Z.]+)`/g, '`$1` (a prop)')} instead`;
  }
  if (FEATURE_ENV[name]) {
    return `set by the library from ${FEATURE_ENV[name]}`;
  }
  if (BITNAMI_ENV.has(name) || name.startsWith('BITNAMI_')) {
    return 'read only by the Bitnami image\'s scripts; upstream etcd and the library\'s runtime ignore it';
  }
  if (name.startsWith(RUNTIME_ENV_PREFIX) || name.startsWith('ETCDCTL_')) {
    return `reserved for the library's runtime scripts (${RUNTIME_ENV_PREFIX}*, ETCDCTL_*)`;
  }
  return undefined;
}

/** Bytes of a Kubernetes quantity (`8Gi`, `500M`, `1073741824`), or undefined. */
function quantityBytes(raw: Json): number | undefined {
  const m = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(String(raw).trim());
  if (!m) {
    return undefined;
  }
  const factors: { [unit: string]: number } = {
    '': 1,
    'k': 1e3,
    'M': 1e6,
    'G': 1e9,
    'T': 1e12,
    'P': 1e15,
    'E': 1e18,
    'Ki': 2 ** 10,
    'Mi': 2 ** 20,
    'Gi': 2 ** 30,
    'Ti': 2 ** 40,
    'Pi': 2 ** 50,
    'Ei': 2 ** 60,
  };
  return Number(m[1]) * factors[m[3] ?? ''];
}

/** Milliseconds of a Go duration (`10m`, `1h30m`, `90s`), or undefined. */
function goDurationMillis(v: string): number | undefined {
  const units: { [u: string]: number } = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return sumUnits(v, /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/gy, units);
}

/** Milliseconds of a Prometheus duration (`30s`, `1h30m`, `1d`), or undefined. */
function promDurationMillis(v: string): number | undefined {
  const units: { [u: string]: number } = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  return sumUnits(v, /([0-9]+)(ms|s|m|h|d|w|y)/gy, units);
}

function sumUnits(v: string, re: RegExp, units: { [u: string]: number }): number | undefined {
  if (!v) {
    return undefined;
  }
  let total = 0;
  let end = 0;
  re.lastIndex = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * units[m[2]];
    end = re.lastIndex;
  }
  return end === v.length && end > 0 ? Math.round(total) : undefined;
}
