import * as crypto from 'crypto';
import { Chart, Duration, Names, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EtcdAuth, EtcdAuthOptions } from './auth';
import { EtcdDefrag, EtcdDefragOptions } from './defrag';
import { EtcdDisasterRecovery, EtcdDisasterRecoveryOptions, EtcdStartFromSnapshotOptions } from './disaster-recovery';
import { invalid } from './errors';
import {
  AutoCompaction, EtcdSettings, LogLevel, OWNED_ENV, RUNTIME_ENV_PREFIX, etcdEnv, runtimeMemberDomain, wholeSecondsOf as wholeSeconds,
} from './etcd-config';
import { ClusterFacts } from './facts';
import { EtcdImage, ToolsImage } from './image';
import { EtcdJobPodOptions, jobPodOptions } from './jobs';
import { DNS_LABEL, DNS_SUBDOMAIN, validateAnnotations, validateLabels } from './labels';
import { EtcdMetrics, EtcdMetricsOptions } from './metrics';
import { EtcdNetworkPolicy, EtcdNetworkPolicyOptions } from './network-policy';
import {
  PodAddition, PodAdditions, PodIdentity, RUNTIME_DIR, TOOLS_DIR, containerSecurityContext, fieldRef, hardened, imagePullSecrets,
  podSecurityContext, runtimeMounts, runtimeVolumes, toolsInitContainer,
} from './pod';
import { ResourceRequirements, ResourcesPreset, resolveResources, sizeQuantity } from './resources';
import { MEMBERS_KEY, RuntimeContext, RuntimeNetwork, membersFile, runtimeEnv, runtimeJobPodTemplate, runtimeScripts } from './runtime';
import { EtcdScheduling, EtcdSchedulingOptions } from './scheduling';
import { EtcdTls, EtcdTlsOptions, tlsSchemes } from './tls';
import { Topology, faultTolerance } from './topology';

/**
 * Container ports of the members.
 */
export interface EtcdPorts {
  /**
   * Client port (`--listen-client-urls`).
   * @default 2379
   */
  readonly client?: number;
  /**
   * Peer port (`--listen-peer-urls`).
   * @default 2380
   */
  readonly peer?: number;
  /**
   * Port of the plain-HTTP metrics and health listener (`--listen-metrics-urls`). The probes use it,
   * so they keep working with client TLS and client-certificate authentication.
   * @default 2381
   */
  readonly metrics?: number;
}

/**
 * What happens to a member's volume claim when the StatefulSet is deleted or scaled down.
 */
export enum PvcRetention {
  /** Keep the claim (and the data). */
  RETAIN = 'Retain',
  /** Delete the claim. */
  DELETE = 'Delete',
}

/**
 * The members' data volumes.
 */
export interface EtcdPersistence {
  /**
   * Keep data on a PersistentVolumeClaim per member. Without it, data lives in an `emptyDir` and a
   * member that loses its pod rejoins as a new member (the others keep the data).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Size of each member's volume.
   * @default Size.gibibytes(8)
   */
  readonly size?: Size;
  /**
   * StorageClass of the claims. An empty string asks for no class (static provisioning).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Access modes of the claims.
   * @default [PersistentVolumeAccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: kplus.PersistentVolumeAccessMode[];
  /**
   * Annotations of the claims.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
  /**
   * Labels of the claims.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Only bind volumes with these labels.
   * @default - any volume
   */
  readonly selector?: { [key: string]: string };
  /**
   * Name of the volumeClaimTemplate; the claims are named `<this>-<statefulset>-<ordinal>`. Keep
   * `data` unless you adopt claims made by something else (the Bitnami chart also uses `data`).
   * @default 'data'
   */
  readonly claimTemplateName?: string;
  /**
   * Where the volume is mounted. etcd's data directory is `<mountPath>/data`.
   * @default '/var/lib/etcd'
   */
  readonly mountPath?: string;
  /**
   * What happens to the claims when the StatefulSet is deleted.
   * @default PvcRetention.RETAIN
   */
  readonly retainWhenDeleted?: PvcRetention;
  /**
   * What happens to a member's claim when the StatefulSet scales down past it. With `RETAIN`, a
   * member that comes back later finds data of a removed member; the entrypoint then moves that
   * data aside and joins as a new member.
   * @default PvcRetention.RETAIN
   */
  readonly retainWhenScaled?: PvcRetention;
  /**
   * Size limit of the `emptyDir` used when persistence is off.
   * @default - no limit
   */
  readonly emptyDirSizeLimit?: Size;
}

/**
 * User and group the pods run as.
 */
export interface EtcdSecurityContext {
  /**
   * uid of every container. 1001 matches the Bitnami image, so its volumes can be adopted.
   * @default 1001
   */
  readonly user?: number;
  /**
   * gid of every container.
   * @default 1001
   */
  readonly group?: number;
  /**
   * Group that owns the volumes.
   * @default 1001
   */
  readonly fsGroup?: number;
  /**
   * When Kubernetes changes volume ownership to `fsGroup`.
   * @default FsGroupChangePolicy.ALWAYS
   */
  readonly fsGroupChangePolicy?: kplus.FsGroupChangePolicy;
  /**
   * Additional groups.
   * @default - none
   */
  readonly supplementalGroups?: number[];
  /**
   * Namespaced kernel parameters.
   * @default - none
   */
  readonly sysctls?: kplus.Sysctl[];
}

/**
 * Timings of one of the member's probes, or a replacement.
 */
export interface EtcdProbeOptions {
  /**
   * Whether the probe is rendered at all.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Delay before the first probe.
   * @default Duration.seconds(0)
   */
  readonly initialDelay?: Duration;
  /**
   * Interval between probes.
   * @default - 5s for startup, 10s for readiness and liveness
   */
  readonly period?: Duration;
  /**
   * Timeout of one probe.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
  /**
   * Failures in a row before the probe counts as failed.
   * @default - 60 for startup (5 minutes), 3 for readiness, 8 for liveness
   */
  readonly failureThreshold?: number;
  /**
   * Successes in a row before a failed probe counts as passed again (readiness only; Kubernetes
   * requires 1 for the others).
   * @default 1
   */
  readonly successThreshold?: number;
  /**
   * Replace the probe entirely. The timings above are then ignored.
   * @default - an HTTP GET on the metrics port
   */
  readonly probe?: kplus.Probe;
}

/**
 * The member's probes. All are HTTP GETs on the plain-HTTP metrics listener: startup and readiness
 * `/readyz` (a member with quorum that is not a learner), liveness `/livez` (the process serves
 * local reads).
 */
export interface EtcdProbes {
  /**
   * Startup probe.
   * @default - /readyz every 5s, up to 5 minutes
   */
  readonly startup?: EtcdProbeOptions;
  /**
   * Readiness probe.
   * @default - /readyz every 10s
   */
  readonly readiness?: EtcdProbeOptions;
  /**
   * Liveness probe.
   * @default - /livez every 10s, restart after 8 failures
   */
  readonly liveness?: EtcdProbeOptions;
}

/**
 * How Kubernetes routes traffic from outside the cluster to a NodePort or LoadBalancer Service.
 */
export enum ExternalTrafficPolicy {
  /** Any node forwards to any member. */
  CLUSTER = 'Cluster',
  /** Only nodes that run a member answer (keeps the client's source address). */
  LOCAL = 'Local',
}

/**
 * Session affinity of the client Service.
 */
export enum SessionAffinity {
  /** No affinity. */
  NONE = 'None',
  /** A client keeps reaching the same member. */
  CLIENT_IP = 'ClientIP',
}

/**
 * The client Service (the one applications connect to).
 */
export interface EtcdClientServiceOptions {
  /**
   * Service type. `EXTERNAL_NAME` is not supported.
   * @default ServiceType.CLUSTER_IP
   */
  readonly type?: kplus.ServiceType;
  /**
   * Port of the Service.
   * @default - the client port
   */
  readonly port?: number;
  /**
   * Node port, for NODE_PORT and LOAD_BALANCER.
   * @default - chosen by Kubernetes
   */
  readonly nodePort?: number;
  /**
   * A fixed cluster IP.
   * @default - chosen by Kubernetes
   */
  readonly clusterIP?: string;
  /**
   * IP for a LOAD_BALANCER (cloud specific).
   * @default - chosen by the cloud
   */
  readonly loadBalancerIP?: string;
  /**
   * Load balancer implementation, for LOAD_BALANCER.
   * @default - the cluster's default
   */
  readonly loadBalancerClass?: string;
  /**
   * Client ranges a LOAD_BALANCER admits.
   * @default - any
   */
  readonly loadBalancerSourceRanges?: string[];
  /**
   * External IPs routed to the Service.
   * @default - none
   */
  readonly externalIPs?: string[];
  /**
   * For NODE_PORT and LOAD_BALANCER.
   * @default ExternalTrafficPolicy.CLUSTER
   */
  readonly externalTrafficPolicy?: ExternalTrafficPolicy;
  /**
   * Session affinity.
   * @default SessionAffinity.NONE
   */
  readonly sessionAffinity?: SessionAffinity;
  /**
   * How long a CLIENT_IP affinity lasts.
   * @default - Kubernetes' default (3 hours)
   */
  readonly sessionAffinityTimeout?: Duration;
  /**
   * Annotations of the Service.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
  /**
   * More ports, e.g. for a sidecar.
   * @default - none
   */
  readonly extraPorts?: kplus.ServicePort[];
}

/**
 * The members' ServiceAccount. etcd needs no Kubernetes API access, so no token is mounted.
 */
export interface EtcdServiceAccountOptions {
  /**
   * Use this ServiceAccount instead of creating one.
   * @default - a ServiceAccount named like the cluster is created
   */
  readonly existing?: kplus.IServiceAccount;
  /**
   * Annotations of the created ServiceAccount.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
  /**
   * Labels of the created ServiceAccount.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * The PodDisruptionBudget of the members.
 */
export interface EtcdDisruptionBudgetOptions {
  /**
   * Whether to render a PodDisruptionBudget.
   * @default - true from 3 members on; a 1- or 2-member cluster tolerates no failure, so a budget
   * would block every node drain
   */
  readonly enabled?: boolean;
  /**
   * Members that may be down at once for voluntary disruptions.
   * @default - the failures the cluster tolerates: floor((replicas - 1) / 2)
   */
  readonly maxUnavailable?: number;
}

/**
 * A volume mounted into the etcd container.
 */
export interface EtcdVolumeMount {
  /** The volume (added to the pod if it is not among `extraVolumes`). */
  readonly volume: kplus.Volume;
  /** Where to mount it. */
  readonly path: string;
  /**
   * Mount read-only.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Mount only this path within the volume.
   * @default - the whole volume
   */
  readonly subPath?: string;
}

/**
 * An additional per-member volume claim.
 */
export interface EtcdVolumeClaimTemplate {
  /** Name of the template; claims are `<name>-<statefulset>-<ordinal>`. */
  readonly name: string;
  /** Size of each claim. */
  readonly size: Size;
  /**
   * StorageClass.
   * @default - the cluster's default
   */
  readonly storageClassName?: string;
  /**
   * Access modes.
   * @default [PersistentVolumeAccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: kplus.PersistentVolumeAccessMode[];
  /**
   * Where to mount it in the etcd container.
   * @default - not mounted in the etcd container (e.g. for a sidecar)
   */
  readonly mountPath?: string;
}

/**
 * The reconcile Job, which brings membership to `replicas` after a change.
 */
export interface EtcdReconcileJobOptions extends EtcdJobPodOptions {
  /**
   * How long a finished Job is kept.
   * @default Duration.hours(1)
   */
  readonly ttlAfterFinished?: Duration;
  /**
   * Retries of a failed Job pod.
   * @default 6
   */
  readonly backoffLimit?: number;
  /**
   * How long one run waits for the cluster (quorum, new members) before it fails.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
}

/**
 * Options of `EtcdCluster.connectionEnv`.
 */
export interface ConnectionEnvOptions {
  /**
   * Where the application mounts its client credentials (with client TLS).
   * @default '/etc/etcd/client'
   */
  readonly credentialsPath?: string;
}

/**
 * Properties of an `EtcdCluster`. Every prop is optional: `new EtcdCluster(chart, 'etcd')` is a
 * 3-member cluster on the upstream image with 8 GiB volumes.
 */
export interface EtcdClusterProps {
  /**
   * Base name of every object: the StatefulSet and client Service are named this, the headless
   * Service `<name>-headless`, members `<name>-<ordinal>`. Renaming an existing cluster orphans its
   * volumes. At most 52 characters (a StatefulSet's limit).
   * @default - a unique name derived from the construct path (at most 40 characters)
   */
  readonly name?: string;
  /**
   * Number of members. Odd numbers are recommended: 4 members tolerate one failure, like 3.
   * Changing it later scales the cluster by runtime reconfiguration (see the README).
   * @default 3
   */
  readonly replicas?: number;
  /**
   * The etcd image.
   * @default EtcdImage.default()
   */
  readonly image?: EtcdImage;
  /**
   * The image that provides busybox for the runtime scripts.
   * @default ToolsImage.default()
   */
  readonly toolsImage?: ToolsImage;
  /**
   * Container ports.
   * @default - client 2379, peer 2380, metrics 2381
   */
  readonly ports?: EtcdPorts;
  /**
   * The Kubernetes cluster's DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Token that keeps a new cluster from talking to another one (`--initial-cluster-token`).
   * @default - the cluster's name
   */
  readonly initialClusterToken?: string;
  /**
   * etcd's log level.
   * @default LogLevel.INFO
   */
  readonly logLevel?: LogLevel;
  /**
   * GOMAXPROCS of the etcd process.
   * @default - Go's default (all CPUs of the node)
   */
  readonly maxProcs?: number;
  /**
   * Leader heartbeat interval (`--heartbeat-interval`); about the round-trip time between members.
   * @default Duration.millis(100)
   */
  readonly heartbeatInterval?: Duration;
  /**
   * Election timeout (`--election-timeout`): at least 5 heartbeats, at most 50 seconds.
   * @default Duration.millis(1000)
   */
  readonly electionTimeout?: Duration;
  /**
   * Committed transactions between two raft snapshots (`--snapshot-count`).
   * @default - etcd's default
   */
  readonly snapshotCount?: number;
  /**
   * Space quota of the database (`--quota-backend-bytes`). Must fit the data volume.
   * @default Size.gibibytes(2)
   */
  readonly quotaBackendBytes?: Size;
  /**
   * Automatic compaction of the key history.
   * @default - off, as in etcd
   */
  readonly autoCompaction?: AutoCompaction;
  /**
   * Largest request a client may send (`--max-request-bytes`).
   * @default - etcd's default (1.5 MiB)
   */
  readonly maxRequestBytes?: Size;
  /**
   * More environment variables for the etcd container, e.g. any `ETCD_*` setting that has no prop.
   * Variables the construct sets itself are refused with the prop to use instead.
   * @default - none
   */
  readonly extraEnv?: { [name: string]: kplus.EnvValue };
  /**
   * Environment from ConfigMaps or Secrets.
   * @default - none
   */
  readonly extraEnvFrom?: kplus.EnvFrom[];
  /**
   * Data volumes.
   * @default - an 8 GiB PersistentVolumeClaim per member
   */
  readonly persistence?: EtcdPersistence;
  /**
   * uid, gid and fsGroup.
   * @default - 1001 for all three
   */
  readonly securityContext?: EtcdSecurityContext;
  /**
   * Probe timings or replacements.
   * @default - see `EtcdProbes`
   */
  readonly probes?: EtcdProbes;
  /**
   * Resources by size. Ignored when `resources` is set.
   * @default ResourcesPreset.MICRO
   */
  readonly resourcesPreset?: ResourcesPreset;
  /**
   * Explicit requests and limits of the etcd container (recommended for production).
   * @default - from `resourcesPreset`
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Labels of every object (and of the pods).
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations of every object (not of the pods; see `podAnnotations`).
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
  /**
   * More labels of the member pods.
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Annotations of the member pods.
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * The client Service.
   * @default - a ClusterIP Service on the client port
   */
  readonly clientService?: EtcdClientServiceOptions;
  /**
   * Annotations of the headless Service.
   * @default - none
   */
  readonly headlessServiceAnnotations?: { [key: string]: string };
  /**
   * The members' ServiceAccount.
   * @default - one is created, without token automount
   */
  readonly serviceAccount?: EtcdServiceAccountOptions;
  /**
   * The PodDisruptionBudget.
   * @default - quorum-aware from 3 members on
   */
  readonly podDisruptionBudget?: EtcdDisruptionBudgetOptions;
  /**
   * How the StatefulSet rolls out pod template changes. A partition keeps ordinals below it on the
   * old template (canary).
   * @default StatefulSetUpdateStrategy.rollingUpdate()
   */
  readonly updateStrategy?: kplus.StatefulSetUpdateStrategy;
  /**
   * Volumes added to the member pods.
   * @default - none
   */
  readonly extraVolumes?: kplus.Volume[];
  /**
   * Mounts added to the etcd container.
   * @default - none
   */
  readonly extraVolumeMounts?: EtcdVolumeMount[];
  /**
   * More per-member volume claims.
   * @default - none
   */
  readonly extraVolumeClaimTemplates?: EtcdVolumeClaimTemplate[];
  /**
   * Sidecar containers. They get dropped capabilities and RuntimeDefault seccomp unless they set
   * their own.
   * @default - none
   */
  readonly sidecars?: kplus.ContainerProps[];
  /**
   * Init containers, run after the tools init container.
   * @default - none
   */
  readonly initContainers?: kplus.ContainerProps[];
  /**
   * Lifecycle hooks of the etcd container. The image has no shell; exec hooks can use
   * `/tools/bin/sh`.
   * @default - none
   */
  readonly lifecycle?: kplus.ContainerLifecycle;
  /**
   * Entries for the pods' /etc/hosts.
   * @default - none
   */
  readonly hostAliases?: kplus.HostAlias[];
  /**
   * Grace period between SIGTERM and SIGKILL.
   * @default - Kubernetes' default (30 seconds)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * PriorityClass of the member pods.
   * @default - none
   */
  readonly priorityClassName?: string;
  /**
   * Scheduler of the member pods.
   * @default - the default scheduler
   */
  readonly schedulerName?: string;
  /**
   * RuntimeClass of the member pods.
   * @default - the default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * Share one process namespace between the pod's containers.
   * @default false
   */
  readonly shareProcessNamespace?: boolean;
  /**
   * Pull secrets in addition to the images' own.
   * @default - none
   */
  readonly imagePullSecrets?: kplus.ISecret[];
  /**
   * Diagnostic mode: the etcd container sleeps instead of starting etcd and has no probes, so you
   * can `kubectl exec` into it (`/tools/bin/sh`) and inspect the data.
   * @default false
   */
  readonly diagnosticMode?: boolean;
  /**
   * The reconcile Job.
   * @default - see `EtcdReconcileJobOptions`
   */
  readonly reconcileJob?: EtcdReconcileJobOptions;
  /**
   * Peer and client TLS.
   * @default - plain text
   */
  readonly tls?: EtcdTlsOptions;
  /**
   * Role-based access control (the root user and auth tokens). Without it, anyone who can reach
   * the client port can read and write everything: keep the NetworkPolicy tight.
   * @default - no authentication
   */
  readonly auth?: EtcdAuthOptions;
  /**
   * Scheduled snapshots to a volume, and automatic recovery from the newest when the whole
   * cluster is lost. Needs persistence.
   * @default - no snapshots
   */
  readonly disasterRecovery?: EtcdDisasterRecoveryOptions;
  /**
   * Start a new cluster from a snapshot file (every member restores the same file on first boot).
   * @default - a new cluster starts empty
   */
  readonly startFromSnapshot?: EtcdStartFromSnapshotOptions;
  /**
   * Scheduled defragmentation.
   * @default - no defragmentation
   */
  readonly defrag?: EtcdDefragOptions;
  /**
   * Metrics and alerts.
   * @default - metrics are served on the metrics port, but not advertised
   */
  readonly metrics?: EtcdMetricsOptions;
  /**
   * Where the members run.
   * @default - see `EtcdSchedulingOptions`
   */
  readonly scheduling?: EtcdSchedulingOptions;
  /**
   * Who may talk to the members.
   * @default - see `EtcdNetworkPolicyOptions`
   */
  readonly networkPolicy?: EtcdNetworkPolicyOptions;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** More members than this is not a sensible etcd cluster (and not one the runtime is tested with). */
const MAX_MEMBERS = 15;
/** The largest value of Kubernetes' int32 fields (counts, most seconds). */
const INT32_MAX = 2147483647;

/**
 * A production etcd cluster: a StatefulSet of members on the upstream etcd image, a headless
 * Service for the peers, a client Service, a quorum-aware PodDisruptionBudget, a ServiceAccount
 * without API access, and the runtime (scripts and member list) that bootstraps, restarts, joins
 * and scales the members.
 */
export class EtcdCluster extends Construct {
  /** Base name of the objects; also the StatefulSet's name. */
  public readonly name: string;
  /** Number of members. */
  public readonly replicas: number;
  /** The members' StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The headless Service that gives each member its DNS name. */
  public readonly headlessService: k8s.KubeService;
  /** The Service applications connect to. */
  public readonly clientService: k8s.KubeService;
  /** The members' ServiceAccount (created or given). */
  public readonly serviceAccount: kplus.IServiceAccount;
  /** The PodDisruptionBudget, when there is one. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The runtime ConfigMap: scripts and the desired member list. */
  public readonly runtimeConfig: kplus.ConfigMap;
  /** The Job that reconciles membership after a change (named by a hash of the desired members). */
  public readonly reconcileJob: k8s.KubeJob;
  /** The etcd image. */
  public readonly image: EtcdImage;
  /** URL of the client Service, e.g. `http://etcd.default.svc.cluster.local:2379`. */
  public readonly clientEndpoint: string;
  /** Client URL of each member. */
  public readonly memberEndpoints: string[];
  /** Peer URL of each member. */
  public readonly peerUrls: string[];
  /** The ports. */
  public readonly clientPort: number;
  /** The peer port. */
  public readonly peerPort: number;
  /** The metrics and health port. */
  public readonly metricsPort: number;
  /** Peer and client TLS. */
  public readonly tls: EtcdTls;
  /** Role-based access control. */
  public readonly auth: EtcdAuth;
  /** Snapshots, automatic recovery and start from a snapshot. */
  public readonly disasterRecovery: EtcdDisasterRecovery;
  /** Scheduled defragmentation, when configured. */
  public readonly defrag?: EtcdDefrag;
  /** Metrics and alerts. */
  public readonly metrics: EtcdMetrics;
  /** Placement of the members. */
  public readonly scheduling: EtcdScheduling;
  /** The NetworkPolicy. */
  public readonly networkPolicy: EtcdNetworkPolicy;
  /**
   * What the feature constructs know about the cluster.
   * @internal
   */
  public readonly _facts: ClusterFacts;

  private readonly topology: Topology;
  private readonly identity: PodIdentity;
  private readonly toolsImage: ToolsImage;
  private readonly selector: { [key: string]: string };
  private readonly commonLabels: { [key: string]: string };
  private readonly memberAdditions = new PodAdditions();
  private readonly clientAdditions = new PodAdditions();
  private readonly clientServicePorts: k8s.ServicePort[] = [];
  private readonly runtimeNetwork: RuntimeNetwork;
  private readonly props: EtcdClusterProps;

  constructor(scope: Construct, id: string, props: EtcdClusterProps = {}) {
    super(scope, id);
    this.props = props;

    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: 40 });
    this.validateName();
    this.replicas = props.replicas ?? 3;
    if (!Number.isInteger(this.replicas) || this.replicas < 1 || this.replicas > MAX_MEMBERS) {
      invalid(this, 'replicas', `must be a whole number of at least 1 and at most ${MAX_MEMBERS} (got ${this.replicas}); `
        + 'etcd recommends 3, 5 or 7 members, since every member slows down writes');
    }
    this.validateMetadata();
    this.clientPort = this.port('ports.client', props.ports?.client, 2379);
    this.peerPort = this.port('ports.peer', props.ports?.peer, 2380);
    this.metricsPort = this.port('ports.metrics', props.ports?.metrics, 2381);
    const ports = [this.clientPort, this.peerPort, this.metricsPort];
    if (new Set(ports).size !== ports.length) {
      invalid(this, 'ports', `must be three different ports (got client ${this.clientPort}, peer ${this.peerPort}, metrics ${this.metricsPort})`);
    }
    const clusterDomain = props.clusterDomain ?? 'cluster.local';
    if (!DNS_SUBDOMAIN.test(clusterDomain)) {
      invalid(this, 'clusterDomain', `must be a DNS domain such as "cluster.local" (got "${clusterDomain}")`);
    }

    this.image = props.image ?? EtcdImage.default();
    this.toolsImage = props.toolsImage ?? ToolsImage.default();
    this.identity = this.resolveIdentity();
    const schemes = tlsSchemes(props.tls);
    this.topology = new Topology({
      name: this.name,
      namespace: Chart.of(this).namespace,
      clusterDomain,
      replicas: this.replicas,
      clientPort: this.clientPort,
      peerPort: this.peerPort,
      metricsPort: this.metricsPort,
      clientScheme: schemes.client,
      peerScheme: schemes.peer,
    });
    this.clientEndpoint = this.topology.clientEndpoint;
    this.memberEndpoints = this.topology.members.map(m => this.topology.clientUrl(m));
    this.peerUrls = this.topology.members.map(m => this.topology.peerUrl(m));
    this.runtimeNetwork = {
      memberDomain: runtimeMemberDomain({ headlessServiceName: this.topology.headlessServiceName, clusterDomain }),
      clientScheme: this.topology.spec.clientScheme,
      peerScheme: this.topology.spec.peerScheme,
      clientPort: this.clientPort,
      peerPort: this.peerPort,
      metricsPort: this.metricsPort,
    };

    this.selector = {
      'app.kubernetes.io/name': 'etcd',
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'etcd',
    };
    this.commonLabels = {
      ...props.labels,
      'app.kubernetes.io/name': 'etcd',
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/managed-by': 'cdk8s-etcd',
    };

    this._facts = {
      name: this.name,
      namespace: this.topology.spec.namespace,
      replicas: this.replicas,
      topology: this.topology,
      selector: this.selector,
      labels: this.commonLabels,
      clientPort: this.clientPort,
      peerPort: this.peerPort,
      metricsPort: this.metricsPort,
      clientScheme: this.topology.spec.clientScheme,
      peerScheme: this.topology.spec.peerScheme,
      persistent: props.persistence?.enabled ?? true,
    };

    const settings = this.resolveSettings(clusterDomain);
    this.validateExtraEnv();

    this.serviceAccount = props.serviceAccount?.existing ?? new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: this.metadata(this.name, 'etcd', props.serviceAccount?.labels, props.serviceAccount?.annotations),
      automountToken: false,
    });

    this.runtimeConfig = new kplus.ConfigMap(this, 'Runtime', {
      metadata: this.metadata(`${this.name}-runtime`, 'etcd'),
      data: { ...runtimeScripts(), [MEMBERS_KEY]: membersFile(this.topology.members) },
    });

    // Features add to the pods and Services through the _addTo* methods before those are rendered.
    this.tls = new EtcdTls(this, 'Tls', props.tls);
    this.auth = new EtcdAuth(this, 'Auth', props.auth);
    this.metrics = new EtcdMetrics(this, 'Metrics', props.metrics);
    this.scheduling = new EtcdScheduling(this, 'Scheduling', props.scheduling);
    this.networkPolicy = new EtcdNetworkPolicy(this, 'NetworkPolicy', props.networkPolicy);
    this.disasterRecovery = new EtcdDisasterRecovery(this, 'DisasterRecovery', props.disasterRecovery, props.startFromSnapshot);
    this.defrag = props.defrag ? new EtcdDefrag(this, 'Defrag', props.defrag) : undefined;

    this.headlessService = new k8s.KubeService(this, 'HeadlessService', {
      metadata: this.metadata(this.topology.headlessServiceName, 'etcd', undefined, props.headlessServiceAnnotations),
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: this.selector,
        ports: [
          { name: 'client', port: this.clientPort, targetPort: k8s.IntOrString.fromString('client') },
          { name: 'peer', port: this.peerPort, targetPort: k8s.IntOrString.fromString('peer') },
        ],
      },
    });
    this.clientService = this.renderClientService(props.clientService ?? {});

    const persistence = this.resolvePersistence(settings.quotaBackendBytes);
    this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: this.metadata(this.name, 'etcd'),
      spec: {
        replicas: this.replicas,
        serviceName: this.topology.headlessServiceName,
        podManagementPolicy: 'Parallel',
        updateStrategy: (props.updateStrategy ?? kplus.StatefulSetUpdateStrategy.rollingUpdate())._toKube(),
        selector: { matchLabels: this.selector },
        template: this.renderMemberPod(settings, persistence),
        volumeClaimTemplates: persistence.claimTemplates.length ? persistence.claimTemplates : undefined,
        persistentVolumeClaimRetentionPolicy: persistence.retention,
      },
    });
    this.statefulSet.addDependency(this.headlessService);

    this.podDisruptionBudget = this.renderDisruptionBudget();
    this.reconcileJob = this.renderReconcileJob();
  }

  /**
   * Opens the client port to the pods of `selector`: a workload (in its namespace) or
   * `Pods.select(...)`. A workload of another chart must have a known namespace.
   * @see EtcdNetworkPolicy.allowClient
   */
  public allowClient(selector: kplus.IPodSelector): void {
    this.networkPolicy.allowClient(selector);
  }

  /**
   * Opens the client port to the pods with `podLabels` in the namespaces with `namespaceLabels`
   * (without them: the cluster's namespace; an empty map: every namespace).
   */
  public allowClientLabels(podLabels: { [key: string]: string }, namespaceLabels?: { [key: string]: string }): void {
    this.networkPolicy.allowClientLabels(podLabels, namespaceLabels);
  }

  /**
   * The environment an application needs to reach the cluster: `ETCDCTL_ENDPOINTS` (the client
   * Service) and, with client TLS, where etcdctl finds the CA and the client certificate. The
   * variable names are etcdctl's; most client libraries read the same values from their own options.
   * Mount the credentials (e.g. the Secret `tls.addClientCertificate` returns) at `credentialsPath`.
   */
  public connectionEnv(options: ConnectionEnvOptions = {}): { [name: string]: kplus.EnvValue } {
    const path = options.credentialsPath ?? '/etc/etcd/client';
    if (!/^\/[^\s:]*$/.test(path)) {
      invalid(this, 'connectionEnv.credentialsPath', `must be an absolute path (got "${path}")`);
    }
    const env = { ETCDCTL_ENDPOINTS: this.clientEndpoint, ...this.tls._clientEnv(path) };
    return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, kplus.EnvValue.fromValue(value)]));
  }

  /**
   * Adds env, volumes and mounts to the etcd container (used by the feature constructs).
   * @internal
   */
  public _addToMembers(addition: PodAddition): void {
    this.memberAdditions.add(addition);
  }

  /**
   * Adds what every etcdctl user (members and Jobs) needs, e.g. TLS and credentials.
   * @internal
   */
  public _addToClients(addition: PodAddition): void {
    this.clientAdditions.add(addition);
  }

  /**
   * Adds a port to the client Service (e.g. metrics).
   * @internal
   */
  public _addClientServicePort(port: k8s.ServicePort): void {
    this.clientServicePorts.push(port);
  }

  /**
   * Metadata for an object of this cluster: its name, the cluster's labels with `component`, and
   * the cluster's annotations.
   * @internal
   */
  public _metadata(name: string, component: string, labels?: { [key: string]: string }, annotations?: { [key: string]: string }) {
    return this.metadata(name, component, labels, annotations);
  }

  /**
   * What a Job pod needs to run a runtime script against this cluster.
   * @internal
   */
  public _runtimeContext(): RuntimeContext {
    return {
      image: this.image,
      toolsImage: this.toolsImage,
      identity: this.identity,
      configMapName: this.runtimeConfig.name,
      serviceAccountName: this.serviceAccount.name,
      imagePullSecrets: this.props.imagePullSecrets ?? [],
      network: this.runtimeNetwork,
      clientAdditions: this.clientAdditions,
      labels: this.commonLabels,
      toolsResources: ResourcesPreset.NANO._toKube(),
    };
  }

  private metadata(name: string, component: string, labels?: { [key: string]: string }, annotations?: { [key: string]: string }) {
    const merged = { ...this.props.annotations, ...annotations };
    return {
      name,
      labels: { ...this.commonLabels, 'app.kubernetes.io/component': component, ...labels },
      annotations: Object.keys(merged).length ? merged : undefined,
    };
  }

  private validateName(): void {
    // The client Service is named `<name>`, and Service names are DNS-1035 labels: they start with a letter.
    if (!DNS_LABEL.test(this.name) || !/^[a-z]/.test(this.name) || this.name.length > 52) {
      invalid(this, 'name', `must be a DNS label (lower-case letters, digits and "-", starting with a letter) of at most 52 characters (got "${this.name}")`);
    }
    // The longest derived name: the reconcile Job, `<name>-reconcile-<hash>`, at most 63.
    const longest = `${this.name}-reconcile-12345678`;
    if (longest.length > 63) {
      invalid(this, 'name', `is too long for the reconcile Job's name "${longest}" (at most 63 characters); use at most 44 characters`);
    }
  }

  private port(prop: string, value: number | undefined, fallback: number): number {
    const port = value ?? fallback;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      invalid(this, prop, `must be a port number from 1 to 65535 (got ${port})`);
    }
    return port;
  }

  private resolveIdentity(): PodIdentity {
    const sc = this.props.securityContext ?? {};
    const identity: PodIdentity = {
      user: sc.user ?? 1001,
      group: sc.group ?? 1001,
      fsGroup: sc.fsGroup ?? 1001,
      fsGroupChangePolicy: sc.fsGroupChangePolicy ?? kplus.FsGroupChangePolicy.ALWAYS,
      supplementalGroups: sc.supplementalGroups,
      sysctls: sc.sysctls,
    };
    for (const [prop, id] of [['user', identity.user], ['group', identity.group], ['fsGroup', identity.fsGroup]] as const) {
      if (!Number.isInteger(id) || id < 1 || id > 2147483647) {
        invalid(this, `securityContext.${prop}`, `must be a non-root id from 1 to 2147483647 (got ${id}); the pods never run as root`);
      }
    }
    return identity;
  }

  private resolveSettings(clusterDomain: string): EtcdSettings {
    const p = this.props;
    const heartbeat = p.heartbeatInterval ?? Duration.millis(100);
    const election = p.electionTimeout ?? Duration.millis(1000);
    const heartbeatMs = heartbeat.toMilliseconds({ integral: false });
    const electionMs = election.toMilliseconds({ integral: false });
    if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1) {
      invalid(this, 'heartbeatInterval', `must be a whole number of milliseconds, at least 1 (got ${heartbeatMs}ms)`);
    }
    if (!Number.isInteger(electionMs) || electionMs < 5 * heartbeatMs || electionMs > 50_000) {
      invalid(this, 'electionTimeout',
        `must be at least 5 heartbeats (${5 * heartbeatMs}ms) and at most 50 seconds, in whole milliseconds (got ${electionMs}ms)`);
    }
    if (p.snapshotCount !== undefined && (!Number.isInteger(p.snapshotCount) || p.snapshotCount < 1)) {
      invalid(this, 'snapshotCount', `must be a whole number of at least 1 (got ${p.snapshotCount})`);
    }
    if (p.maxProcs !== undefined && (!Number.isInteger(p.maxProcs) || p.maxProcs < 1)) {
      invalid(this, 'maxProcs', `must be a whole number of at least 1 (got ${p.maxProcs})`);
    }
    const quota = bytes(p.quotaBackendBytes ?? Size.gibibytes(2));
    if (!(quota > 0) || !Number.isInteger(quota)) {
      invalid(this, 'quotaBackendBytes', `must be a whole number of bytes larger than zero (got ${quota})`);
    }
    const maxRequest = p.maxRequestBytes && bytes(p.maxRequestBytes);
    if (maxRequest !== undefined && (!(maxRequest > 0) || !Number.isInteger(maxRequest))) {
      invalid(this, 'maxRequestBytes', `must be a whole number of bytes larger than zero (got ${maxRequest})`);
    }
    const token = p.initialClusterToken ?? this.name;
    if (!/^[A-Za-z0-9][-._A-Za-z0-9]*$/.test(token)) {
      invalid(this, 'initialClusterToken', `must be letters, digits, "-", "." or "_" (got "${token}")`);
    }
    const mountPath = p.persistence?.mountPath ?? '/var/lib/etcd';
    if (!/^\/[^\s:]*$/.test(mountPath) || mountPath === '/' || [RUNTIME_DIR, TOOLS_DIR, '/tmp'].includes(mountPath.replace(/\/+$/, ''))) {
      invalid(this, 'persistence.mountPath', `must be an absolute path other than /, /tmp, ${TOOLS_DIR} and ${RUNTIME_DIR} (got "${mountPath}")`);
    }
    return {
      dataDir: `${mountPath.replace(/\/+$/, '')}/data`,
      logLevel: p.logLevel ?? LogLevel.INFO,
      heartbeatInterval: heartbeat,
      electionTimeout: election,
      snapshotCount: p.snapshotCount,
      quotaBackendBytes: quota,
      autoCompaction: p.autoCompaction,
      maxRequestBytes: maxRequest,
      maxProcs: p.maxProcs,
      initialClusterToken: token,
      clientPort: this.clientPort,
      peerPort: this.peerPort,
      metricsPort: this.metricsPort,
      clientScheme: this.topology.spec.clientScheme,
      peerScheme: this.topology.spec.peerScheme,
      headlessServiceName: this.topology.headlessServiceName,
      clusterDomain,
    };
  }

  private validateMetadata(): void {
    const p = this.props;
    for (const [prop, labels] of [
      ['labels', p.labels], ['podLabels', p.podLabels], ['persistence.labels', p.persistence?.labels],
      ['persistence.selector', p.persistence?.selector], ['serviceAccount.labels', p.serviceAccount?.labels],
    ] as const) {
      validateLabels(this, prop, labels ?? {});
    }
    for (const [prop, annotations] of [
      ['annotations', p.annotations], ['podAnnotations', p.podAnnotations], ['persistence.annotations', p.persistence?.annotations],
      ['serviceAccount.annotations', p.serviceAccount?.annotations], ['clientService.annotations', p.clientService?.annotations],
      ['headlessServiceAnnotations', p.headlessServiceAnnotations],
    ] as const) {
      validateAnnotations(this, prop, annotations);
    }
  }

  private validateExtraEnv(): void {
    for (const name of Object.keys(this.props.extraEnv ?? {})) {
      if (!ENV_NAME.test(name)) {
        invalid(this, `extraEnv.${name}`, 'is not a valid environment variable name');
      }
      const owner = OWNED_ENV[name];
      if (owner) {
        invalid(this, `extraEnv.${name}`, `is set by the construct; use ${owner} instead`);
      }
      if (name.startsWith(RUNTIME_ENV_PREFIX) || name.startsWith('ETCDCTL_')) {
        invalid(this, `extraEnv.${name}`, `is reserved for the runtime scripts (${RUNTIME_ENV_PREFIX}*, ETCDCTL_*); use the matching prop instead`);
      }
    }
  }

  private resolvePersistence(quotaBytes: number) {
    const p = this.props.persistence ?? {};
    const enabled = p.enabled ?? true;
    const claimName = p.claimTemplateName ?? 'data';
    if (!DNS_LABEL.test(claimName) || claimName.length > 63) {
      invalid(this, 'persistence.claimTemplateName', `must be a DNS label (got "${claimName}")`);
    }
    const limit = enabled ? (p.size ?? Size.gibibytes(8)) : p.emptyDirSizeLimit;
    const limitProp = enabled ? 'persistence.size' : 'persistence.emptyDirSizeLimit';
    if (limit !== undefined) {
      const limitBytes = bytes(limit);
      if (!(limitBytes > 0)) {
        invalid(this, limitProp, `must be larger than zero (got ${sizeQuantity(limit)})`);
      }
      if (quotaBytes > limitBytes) {
        invalid(this, 'quotaBackendBytes', `(${quotaBytes} bytes) must fit the data volume (${limitProp} = ${sizeQuantity(limit)}); `
          + 'lower the quota or enlarge the volume');
      }
    }
    const claimTemplates: k8s.KubePersistentVolumeClaimProps[] = [];
    const volumes: k8s.Volume[] = [];
    if (enabled) {
      claimTemplates.push({
        metadata: { name: claimName, labels: p.labels, annotations: p.annotations },
        spec: {
          accessModes: p.accessModes ?? [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
          storageClassName: p.storageClassName,
          selector: p.selector ? { matchLabels: p.selector } : undefined,
          resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(limit!)) } },
        },
      });
    } else {
      volumes.push({ name: claimName, emptyDir: { sizeLimit: limit && k8s.Quantity.fromString(sizeQuantity(limit)) } });
    }
    for (const [i, t] of (this.props.extraVolumeClaimTemplates ?? []).entries()) {
      if (!DNS_LABEL.test(t.name) || t.name.length > 63 || claimTemplates.some(c => c.metadata?.name === t.name)) {
        invalid(this, `extraVolumeClaimTemplates[${i}].name`, `must be a DNS label other than "${claimName}" and the other templates' names (got "${t.name}")`);
      }
      if (!(bytes(t.size) > 0)) {
        invalid(this, `extraVolumeClaimTemplates[${i}].size`, 'must be larger than zero');
      }
      claimTemplates.push({
        metadata: { name: t.name },
        spec: {
          accessModes: t.accessModes ?? [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
          storageClassName: t.storageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(t.size)) } },
        },
      });
    }
    const retention = enabled ? {
      whenDeleted: p.retainWhenDeleted ?? PvcRetention.RETAIN,
      whenScaled: p.retainWhenScaled ?? PvcRetention.RETAIN,
    } : undefined;
    const mountPath = (p.mountPath ?? '/var/lib/etcd').replace(/\/+$/, '');
    return { claimName, claimTemplates, volumes, retention, mountPath };
  }

  private renderClientService(o: EtcdClientServiceOptions): k8s.KubeService {
    const type = o.type ?? kplus.ServiceType.CLUSTER_IP;
    const exposed = type === kplus.ServiceType.NODE_PORT || type === kplus.ServiceType.LOAD_BALANCER;
    const lb = type === kplus.ServiceType.LOAD_BALANCER;
    if (type === kplus.ServiceType.EXTERNAL_NAME) {
      invalid(this, 'clientService.type', 'cannot be EXTERNAL_NAME: the client Service must select the members');
    }
    const needs = (prop: string, ok: boolean, what: string) => {
      if (!ok) {
        invalid(this, `clientService.${prop}`, `only applies to ${what} Services; set \`clientService.type\` accordingly or remove it`);
      }
    };
    needs('nodePort', o.nodePort === undefined || exposed, 'NODE_PORT and LOAD_BALANCER');
    needs('externalTrafficPolicy', o.externalTrafficPolicy === undefined || exposed, 'NODE_PORT and LOAD_BALANCER');
    needs('loadBalancerIP', o.loadBalancerIP === undefined || lb, 'LOAD_BALANCER');
    needs('loadBalancerClass', o.loadBalancerClass === undefined || lb, 'LOAD_BALANCER');
    needs('loadBalancerSourceRanges', o.loadBalancerSourceRanges === undefined || lb, 'LOAD_BALANCER');
    const port = this.port('clientService.port', o.port, this.clientPort);
    if (o.nodePort !== undefined) {
      this.port('clientService.nodePort', o.nodePort, 0);
    }
    if (o.sessionAffinityTimeout && o.sessionAffinity !== SessionAffinity.CLIENT_IP) {
      invalid(this, 'clientService.sessionAffinityTimeout', 'needs `clientService.sessionAffinity` CLIENT_IP');
    }
    const affinityTimeout = o.sessionAffinityTimeout && wholeSeconds(o.sessionAffinityTimeout);
    if (o.sessionAffinityTimeout && (affinityTimeout === undefined || affinityTimeout < 1 || affinityTimeout > 86400)) {
      invalid(this, 'clientService.sessionAffinityTimeout', `must be whole seconds from 1 second to 1 day (got ${o.sessionAffinityTimeout.toHumanString()})`);
    }
    const extraPorts = (o.extraPorts ?? []).map((p, i) => ({
      name: p.name,
      port: this.port(`clientService.extraPorts[${i}].port`, p.port, 0),
      targetPort: p.targetPort === undefined ? undefined : k8s.IntOrString.fromNumber(this.port(`clientService.extraPorts[${i}].targetPort`, p.targetPort, 0)),
      nodePort: p.nodePort === undefined ? undefined : this.port(`clientService.extraPorts[${i}].nodePort`, p.nodePort, 0),
      protocol: p.protocol,
    }));
    const ports: k8s.ServicePort[] = [
      { name: 'client', port, targetPort: k8s.IntOrString.fromString('client'), nodePort: o.nodePort },
      ...this.clientServicePorts,
      ...extraPorts,
    ];
    const seen = new Set<string>();
    for (const p of ports) {
      const key = `${p.port}/${p.protocol ?? 'TCP'}`;
      if (!p.name || seen.has(p.name) || seen.has(key)) {
        invalid(this, 'clientService.extraPorts', `need a name each, and names and ports different from each other and from "client" ${port} (got "${p.name}" ${key})`);
      }
      seen.add(p.name);
      seen.add(key);
    }
    return new k8s.KubeService(this, 'ClientService', {
      metadata: this.metadata(this.topology.clientServiceName, 'etcd', undefined, o.annotations),
      spec: {
        type,
        clusterIp: o.clusterIP,
        selector: this.selector,
        ports,
        loadBalancerIp: o.loadBalancerIP,
        loadBalancerClass: o.loadBalancerClass,
        loadBalancerSourceRanges: o.loadBalancerSourceRanges,
        externalIPs: o.externalIPs,
        externalTrafficPolicy: exposed ? (o.externalTrafficPolicy ?? ExternalTrafficPolicy.CLUSTER) : undefined,
        sessionAffinity: o.sessionAffinity ?? SessionAffinity.NONE,
        sessionAffinityConfig: affinityTimeout === undefined ? undefined : { clientIp: { timeoutSeconds: affinityTimeout } },
      },
    });
  }

  private resources(): ResourceRequirements | undefined {
    return resolveResources(this.props.resources, this.props.resourcesPreset, ResourcesPreset.MICRO);
  }

  private renderProbe(kind: 'startup' | 'readiness' | 'liveness', o: EtcdProbeOptions | undefined): k8s.Probe | undefined {
    if (o?.enabled === false || this.props.diagnosticMode) {
      return undefined;
    }
    if (o?.probe) {
      return o.probe._toKube(new kplus.Container({ image: this.image.reference, portNumber: this.metricsPort }));
    }
    const defaults = {
      startup: { path: '/readyz', period: 5, failureThreshold: 60 },
      readiness: { path: '/readyz', period: 10, failureThreshold: 3 },
      liveness: { path: '/livez', period: 10, failureThreshold: 8 },
    }[kind];
    const failureThreshold = o?.failureThreshold ?? defaults.failureThreshold;
    const successThreshold = o?.successThreshold ?? 1;
    const seconds = (prop: string, d: Duration | undefined, fallback: number, min: number) => {
      const s = d === undefined ? fallback : wholeSeconds(d);
      if (s === undefined || s < min || s > INT32_MAX) {
        invalid(this, `probes.${kind}.${prop}`, `must be a whole number of seconds, at least ${min}, at most ${INT32_MAX} (got ${d?.toHumanString()})`);
      }
      return s;
    };
    if (!Number.isInteger(failureThreshold) || failureThreshold < 1 || failureThreshold > INT32_MAX) {
      invalid(this, `probes.${kind}.failureThreshold`, `must be a whole number of at least 1, at most ${INT32_MAX} (got ${failureThreshold})`);
    }
    if (!Number.isInteger(successThreshold) || successThreshold < 1 || successThreshold > INT32_MAX || (kind !== 'readiness' && successThreshold !== 1)) {
      invalid(this, `probes.${kind}.successThreshold`, `must be 1${kind === 'readiness' ? ' or more' : ' (Kubernetes requires it)'} (got ${successThreshold})`);
    }
    return {
      httpGet: { path: defaults.path, port: k8s.IntOrString.fromString('metrics'), scheme: 'HTTP' },
      initialDelaySeconds: seconds('initialDelay', o?.initialDelay, 0, 0),
      periodSeconds: seconds('period', o?.period, defaults.period, 1),
      timeoutSeconds: seconds('timeout', o?.timeout, 5, 1),
      failureThreshold,
      successThreshold,
    };
  }

  private renderMemberPod(settings: EtcdSettings, persistence: ReturnType<EtcdCluster['resolvePersistence']>): k8s.PodTemplateSpec {
    const p = this.props;
    const env: k8s.EnvVar[] = [
      fieldRef('POD_NAME', 'metadata.name'),
      fieldRef('POD_NAMESPACE', 'metadata.namespace'),
      fieldRef('POD_IP', 'status.podIP'),
      ...etcdEnv(settings),
      ...runtimeEnv(this.runtimeNetwork),
      ...this.memberAdditions.envVars,
      ...this.clientAdditions.envVars.filter(e => !this.memberAdditions.hasEnv(e.name)),
    ];
    for (const [name, v] of Object.entries(p.extraEnv ?? {})) {
      if (env.some(e => e.name === name)) {
        invalid(this, `extraEnv.${name}`, 'is already set by the construct for a configured feature (e.g. `tls`, `auth`, `metrics`); use that prop instead');
      }
      env.push({ name, value: v.value, valueFrom: v.valueFrom });
    }

    const volumes = new Map<string, k8s.Volume>();
    [...runtimeVolumes(this.runtimeConfig.name), ...persistence.volumes, ...this.memberAdditions.volumeList, ...this.clientAdditions.volumeList]
      .forEach(v => volumes.set(v.name, v));
    const owned = new Set([...volumes.keys(), ...persistence.claimTemplates.map(t => t.metadata!.name!)]);
    const addVolume = (v: k8s.Volume) => {
      const existing = volumes.get(v.name);
      if (owned.has(v.name) || (existing && JSON.stringify(existing) !== JSON.stringify(v))) {
        invalid(this, 'extraVolumes', `name two different volumes "${v.name}"; give each volume its own name (the construct uses ${[...owned].join(', ')})`);
      }
      volumes.set(v.name, v);
    };
    (p.extraVolumes ?? []).forEach(v => addVolume(v._toKube()));

    const mounts: k8s.VolumeMount[] = [
      { name: persistence.claimName, mountPath: persistence.mountPath },
      ...runtimeMounts(),
      ...this.memberAdditions.mountList,
      ...this.clientAdditions.mountList,
    ];
    for (const t of p.extraVolumeClaimTemplates ?? []) {
      if (t.mountPath) {
        mounts.push({ name: t.name, mountPath: t.mountPath });
      }
    }
    for (const m of p.extraVolumeMounts ?? []) {
      addVolume(m.volume._toKube());
      mounts.push({ name: m.volume.name, mountPath: m.path, readOnly: m.readOnly, subPath: m.subPath });
    }
    const paths = new Set<string>();
    for (const m of mounts) {
      if (paths.has(m.mountPath)) {
        invalid(this, 'extraVolumeMounts', `mount two volumes at ${m.mountPath}; each mount needs its own path`);
      }
      paths.add(m.mountPath);
    }

    const userContainers = (prop: string, list: kplus.ContainerProps[] | undefined) => (list ?? []).map((c, i) => {
      const container = new kplus.Container(c);
      container.mounts.forEach(m => addVolume(m.volume._toKube()));
      const kube = hardened(container._toKube());
      if (!DNS_LABEL.test(kube.name)) {
        invalid(this, `${prop}[${i}].name`, `must be a DNS label (lower-case letters, digits and "-") (got "${kube.name}")`);
      }
      if (prop === 'initContainers' && c.restartPolicy !== kplus.ContainerRestartPolicy.ALWAYS) {
        // Kubernetes allows probes only on sidecar init containers; cdk8s-plus adds a startup probe for a port.
        if (c.startup || c.readiness || c.liveness) {
          invalid(this, `${prop}[${i}]`, 'may only have probes as a sidecar (`restartPolicy: ContainerRestartPolicy.ALWAYS`)');
        }
        return { ...kube, startupProbe: undefined, readinessProbe: undefined, livenessProbe: undefined };
      }
      return kube;
    });
    const sidecars = userContainers('sidecars', p.sidecars);
    const initContainers = userContainers('initContainers', p.initContainers);
    const names = new Set(['tools', 'etcd']);
    for (const c of [...initContainers, ...sidecars]) {
      if (names.has(c.name)) {
        invalid(this, 'sidecars', `and \`initContainers\` need unique names other than "tools" and "etcd" (got "${c.name}" twice)`);
      }
      names.add(c.name);
    }

    const lifecycle = p.lifecycle && new kplus.Container({ image: this.image.reference, lifecycle: p.lifecycle })._toKube().lifecycle;
    const etcd: k8s.Container = {
      name: 'etcd',
      image: this.image.reference,
      imagePullPolicy: this.image.pullPolicy,
      command: p.diagnosticMode ? [`${TOOLS_DIR}/bin/sleep`, '2147483647'] : [`${TOOLS_DIR}/bin/sh`, `${RUNTIME_DIR}/entrypoint.sh`],
      ports: [
        { name: 'client', containerPort: this.clientPort, protocol: 'TCP' },
        { name: 'peer', containerPort: this.peerPort, protocol: 'TCP' },
        { name: 'metrics', containerPort: this.metricsPort, protocol: 'TCP' },
      ],
      env,
      envFrom: p.extraEnvFrom?.length ? p.extraEnvFrom.map(e => e._toKube()) : undefined,
      volumeMounts: mounts,
      startupProbe: this.renderProbe('startup', p.probes?.startup),
      readinessProbe: this.renderProbe('readiness', p.probes?.readiness),
      livenessProbe: this.renderProbe('liveness', p.probes?.liveness),
      lifecycle,
      resources: this.resources(),
      securityContext: containerSecurityContext(this.identity),
    };

    const grace = p.terminationGracePeriod && wholeSeconds(p.terminationGracePeriod);
    if (p.terminationGracePeriod && grace === undefined) {
      invalid(this, 'terminationGracePeriod', `must be a whole number of seconds (got ${p.terminationGracePeriod.toHumanString()})`);
    }
    const podAnnotations = { ...this.memberAdditions.podAnnotations, ...p.podAnnotations };
    const placement = this.memberAdditions.placement;
    return {
      metadata: {
        labels: { ...this.commonLabels, ...this.memberAdditions.podLabels, ...p.podLabels, ...this.selector },
        annotations: Object.keys(podAnnotations).length ? podAnnotations : undefined,
      },
      spec: {
        affinity: placement.affinity,
        nodeSelector: placement.nodeSelector,
        tolerations: placement.tolerations,
        topologySpreadConstraints: placement.topologySpreadConstraints,
        serviceAccountName: this.serviceAccount.name,
        automountServiceAccountToken: false,
        securityContext: podSecurityContext(this.identity),
        imagePullSecrets: imagePullSecrets([this.image, this.toolsImage], p.imagePullSecrets),
        hostAliases: p.hostAliases?.map(h => ({ ip: h.ip, hostnames: h.hostnames })),
        terminationGracePeriodSeconds: grace,
        priorityClassName: p.priorityClassName,
        schedulerName: p.schedulerName,
        runtimeClassName: p.runtimeClassName,
        shareProcessNamespace: p.shareProcessNamespace || undefined,
        initContainers: [toolsInitContainer(this.toolsImage, this.identity, ResourcesPreset.NANO._toKube()), ...initContainers],
        containers: [etcd, ...sidecars],
        volumes: [...volumes.values()],
      },
    };
  }

  private renderDisruptionBudget(): k8s.KubePodDisruptionBudget | undefined {
    const o = this.props.podDisruptionBudget ?? {};
    const enabled = o.enabled ?? this.replicas >= 3;
    if (!enabled) {
      if (o.maxUnavailable !== undefined) {
        invalid(this, 'podDisruptionBudget.maxUnavailable', 'has no effect without a PodDisruptionBudget; set `podDisruptionBudget.enabled` or remove it');
      }
      return undefined;
    }
    const maxUnavailable = o.maxUnavailable ?? faultTolerance(this.replicas);
    if (!Number.isInteger(maxUnavailable) || maxUnavailable < 0 || maxUnavailable > this.replicas) {
      invalid(this, 'podDisruptionBudget.maxUnavailable', `must be a whole number from 0 to replicas (${this.replicas}) (got ${maxUnavailable})`);
    }
    return new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: this.metadata(this.name, 'etcd'),
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(maxUnavailable),
        selector: { matchLabels: this.selector },
      },
    });
  }

  private renderReconcileJob(): k8s.KubeJob {
    const o = this.props.reconcileJob ?? {};
    const desired = this.topology.members.join(' ');
    const hash = crypto.createHash('sha256')
      .update(JSON.stringify({ desired, net: this.runtimeNetwork, access: this.clientAdditions.envVars }))
      .digest('hex').slice(0, 8);
    const ttl = wholeSeconds(o.ttlAfterFinished ?? Duration.hours(1));
    const backoffLimit = o.backoffLimit ?? 6;
    const timeout = wholeSeconds(o.timeout ?? Duration.minutes(10));
    if (!Number.isInteger(backoffLimit) || backoffLimit < 0 || backoffLimit > INT32_MAX) {
      invalid(this, 'reconcileJob.backoffLimit', `must be a whole number of at least 0, at most ${INT32_MAX} (got ${backoffLimit})`);
    }
    if (timeout === undefined || timeout < 30) {
      invalid(this, 'reconcileJob.timeout', `must be at least 30 whole seconds (got ${o.timeout?.toHumanString()})`);
    }
    if (ttl === undefined || ttl > INT32_MAX) {
      invalid(this, 'reconcileJob.ttlAfterFinished', `must be a whole number of seconds, at most ${INT32_MAX} (got ${o.ttlAfterFinished?.toHumanString()})`);
    }
    return new k8s.KubeJob(this, 'ReconcileJob', {
      metadata: this.metadata(`${this.name}-reconcile-${hash}`, 'reconcile'),
      spec: {
        backoffLimit,
        ttlSecondsAfterFinished: ttl,
        template: runtimeJobPodTemplate(this._runtimeContext(), {
          component: 'reconcile',
          script: 'reconcile.sh',
          env: [
            { name: 'ETCDK8S_MEMBERS', value: desired },
            { name: 'ETCDK8S_RECONCILE_TIMEOUT', value: `${timeout}` },
          ],
          ...jobPodOptions(this, 'reconcileJob', o),
        }),
      },
    });
  }
}

function bytes(size: Size): number {
  return size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
}
