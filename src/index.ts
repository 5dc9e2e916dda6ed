export { EtcdCluster } from './etcd-cluster';
export type {
  EtcdClusterProps, EtcdPorts, EtcdPersistence, EtcdSecurityContext, EtcdProbeOptions, EtcdProbes, EtcdClientServiceOptions,
  EtcdServiceAccountOptions, EtcdDisruptionBudgetOptions, EtcdVolumeMount, EtcdVolumeClaimTemplate, EtcdReconcileJobOptions, ConnectionEnvOptions,
} from './etcd-cluster';
export { PvcRetention, ExternalTrafficPolicy, SessionAffinity } from './etcd-cluster';
export { EtcdImage, ToolsImage, ContainerImage } from './image';
export type { ImageOptions } from './image';
export { ResourcesPreset } from './resources';
export { AutoCompaction, LogLevel } from './etcd-config';
export { EtcdMetrics, MetricsLevel, ScrapePort, ScrapeScheme, RelabelAction, AlertSeverity } from './metrics';
export type {
  EtcdMetricsOptions, EtcdMonitorOptions, EtcdScrapeTlsConfig, EtcdRelabeling, EtcdPrometheusRuleOptions, EtcdAlertThresholds, EtcdAlertRule,
} from './metrics';
export { EtcdScheduling, AffinityPreset, WhenUnsatisfiable, TolerationOperator } from './scheduling';
export type {
  EtcdSchedulingOptions, EtcdNodeAffinityPreset, EtcdNodeAffinityTerm, EtcdPodAffinityTerm, EtcdAffinity, EtcdTopologySpread, EtcdToleration,
} from './scheduling';
export { EtcdNetworkPolicy, NetworkPeer } from './network-policy';
export type { EtcdNetworkPolicyOptions, EtcdNetworkPolicyRule } from './network-policy';
export { EtcdTls, TlsSource, CertManagerIssuer, KeyAlgorithm } from './tls';
export type { EtcdTlsOptions, TlsSecretKeys, CertManagerOptions, ClientCertificateOptions } from './tls';
export { EtcdAuth, AuthTokenType, JwtSignMethod } from './auth';
export type { EtcdAuthOptions } from './auth';
export { EtcdDisasterRecovery, SnapshotVolume } from './disaster-recovery';
export type { EtcdDisasterRecoveryOptions, EtcdStartFromSnapshotOptions, SnapshotClaimOptions } from './disaster-recovery';
export { EtcdDefrag } from './defrag';
export type { EtcdDefragOptions } from './defrag';
export type { EtcdJobPodOptions, EtcdCronJobOptions } from './jobs';
export { BitnamiValues } from './bitnami';
export type { BitnamiMigrationOptions } from './bitnami';
