/**
 * Pieces shared by every pod the library renders (members, reconcile, snapshot and defrag Jobs):
 * security contexts, the tools init container, and the narrow interface through which features
 * (TLS, auth, disaster recovery, ...) add env, volumes and mounts to those pods.
 */
import * as kplus from 'cdk8s-plus-28';
import { ContainerImage, ToolsImage } from './image';
import { ResourceRequirements } from './resources';


/** Where the tools init container installs busybox, and where the runtime scripts are mounted. */
export const TOOLS_DIR = '/tools';
export const RUNTIME_DIR = '/runtime';
export const TOOLS_VOLUME = 'tools';
export const RUNTIME_VOLUME = 'runtime';
export const TMP_VOLUME = 'tmp';
/** The image's binaries first, then busybox's applets. */
export const RUNTIME_PATH = `/usr/local/bin:${TOOLS_DIR}/bin`;

/** The uid/gid settings the pods run with. */
export interface PodIdentity {
  readonly user: number;
  readonly group: number;
  readonly fsGroup: number;
  readonly fsGroupChangePolicy: kplus.FsGroupChangePolicy;
  readonly supplementalGroups?: number[];
  readonly sysctls?: kplus.Sysctl[];
}

export function podSecurityContext(id: PodIdentity): kplus.k8s.PodSecurityContext {
  return {
    runAsUser: id.user,
    runAsGroup: id.group,
    runAsNonRoot: true,
    fsGroup: id.fsGroup,
    fsGroupChangePolicy: id.fsGroupChangePolicy,
    supplementalGroups: id.supplementalGroups?.length ? id.supplementalGroups : undefined,
    sysctls: id.sysctls?.length ? id.sysctls.map(s => ({ name: s.name, value: s.value })) : undefined,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Restricted: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp. */
export function containerSecurityContext(id: PodIdentity): kplus.k8s.SecurityContext {
  return {
    runAsUser: id.user,
    runAsGroup: id.group,
    runAsNonRoot: true,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Fills in what a user-given container leaves out of the restricted security context (dropped
 * capabilities, seccomp), without overriding what it sets.
 */
export function hardened(container: kplus.k8s.Container): kplus.k8s.Container {
  const sc = container.securityContext ?? {};
  return {
    ...container,
    securityContext: {
      ...sc,
      allowPrivilegeEscalation: sc.allowPrivilegeEscalation ?? false,
      capabilities: sc.capabilities ?? { drop: ['ALL'] },
      seccompProfile: sc.seccompProfile ?? { type: 'RuntimeDefault' },
    },
  };
}

export function toolsInitContainer(image: ToolsImage, id: PodIdentity, resources?: ResourceRequirements): kplus.k8s.Container {
  return {
    name: 'tools',
    image: image.reference,
    imagePullPolicy: image.pullPolicy,
    command: ['/bin/busybox', 'sh', '-c',
      `set -e; mkdir -p ${TOOLS_DIR}/bin; cp /bin/busybox ${TOOLS_DIR}/bin/busybox; ${TOOLS_DIR}/bin/busybox --install -s ${TOOLS_DIR}/bin`],
    volumeMounts: [{ name: TOOLS_VOLUME, mountPath: TOOLS_DIR }],
    resources,
    securityContext: containerSecurityContext(id),
  };
}

/** The volumes every runtime pod has: the tools, the runtime scripts, a writable /tmp. */
export function runtimeVolumes(configMapName: string): kplus.k8s.Volume[] {
  return [
    { name: TOOLS_VOLUME, emptyDir: {} },
    { name: RUNTIME_VOLUME, configMap: { name: configMapName, defaultMode: 0o555 } },
    { name: TMP_VOLUME, emptyDir: {} },
  ];
}

export function runtimeMounts(): kplus.k8s.VolumeMount[] {
  return [
    { name: TOOLS_VOLUME, mountPath: TOOLS_DIR, readOnly: true },
    { name: RUNTIME_VOLUME, mountPath: RUNTIME_DIR, readOnly: true },
    { name: TMP_VOLUME, mountPath: '/tmp' },
  ];
}

export function imagePullSecrets(images: ContainerImage[], extra: kplus.ISecret[] = []): kplus.k8s.LocalObjectReference[] | undefined {
  const names = [...new Set([...images.flatMap(i => i.pullSecrets), ...extra].map(s => s.name))];
  return names.length ? names.map(name => ({ name })) : undefined;
}

export function fieldRef(name: string, fieldPath: string): kplus.k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** Pod-level scheduling fields; exactly one feature may set each. */
export interface PodPlacement {
  readonly affinity?: kplus.k8s.Affinity;
  readonly nodeSelector?: { [key: string]: string };
  readonly tolerations?: kplus.k8s.Toleration[];
  readonly topologySpreadConstraints?: kplus.k8s.TopologySpreadConstraint[];
}

/**
 * What a feature adds to the pods that run etcd or etcdctl. Collected by `PodAdditions` and
 * rendered into each pod; a feature never edits another one's output.
 */
export interface PodAddition {
  readonly env?: kplus.k8s.EnvVar[];
  readonly volumes?: kplus.k8s.Volume[];
  readonly mounts?: kplus.k8s.VolumeMount[];
  /** Annotations of the pod (members only). */
  readonly podAnnotations?: { [key: string]: string };
  /** Labels of the pod, in addition to the selector labels (members only). */
  readonly podLabels?: { [key: string]: string };
  /** Scheduling fields of the pod (members only). */
  readonly placement?: PodPlacement;
}

export class PodAdditions {
  private readonly env: kplus.k8s.EnvVar[] = [];
  private readonly volumes = new Map<string, kplus.k8s.Volume>();
  private readonly mounts: kplus.k8s.VolumeMount[] = [];
  private readonly annotations: { [key: string]: string } = {};
  private readonly labels: { [key: string]: string } = {};
  private readonly placementFields: { [field: string]: unknown } = {};

  public add(addition: PodAddition): void {
    for (const e of addition.env ?? []) {
      if (this.env.some(x => x.name === e.name)) {
        throw new Error(`internal: two features set ${e.name}`);
      }
      this.env.push(e);
    }
    for (const v of addition.volumes ?? []) {
      this.volumes.set(v.name, v);
    }
    this.mounts.push(...addition.mounts ?? []);
    Object.assign(this.annotations, addition.podAnnotations);
    Object.assign(this.labels, addition.podLabels);
    for (const [field, value] of Object.entries(addition.placement ?? {})) {
      if (value === undefined) {
        continue;
      }
      if (field in this.placementFields) {
        throw new Error(`internal: two features set the pod's ${field}`);
      }
      this.placementFields[field] = value;
    }
  }

  public get podAnnotations(): { [key: string]: string } {
    return { ...this.annotations };
  }

  public get podLabels(): { [key: string]: string } {
    return { ...this.labels };
  }

  public get placement(): PodPlacement {
    return { ...this.placementFields } as PodPlacement;
  }

  public get envVars(): kplus.k8s.EnvVar[] {
    return [...this.env];
  }

  public get volumeList(): kplus.k8s.Volume[] {
    return [...this.volumes.values()];
  }

  public get mountList(): kplus.k8s.VolumeMount[] {
    return [...this.mounts];
  }

  public hasEnv(name: string): boolean {
    return this.env.some(e => e.name === name);
  }
}
