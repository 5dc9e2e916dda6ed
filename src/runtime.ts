/**
 * The runtime: POSIX sh scripts (src/runtime/*.sh) shipped in a ConfigMap and run by busybox in the
 * shell-less etcd image, and the pods that run them outside the StatefulSet (Jobs).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-28';
import { EtcdImage, ToolsImage } from './image';
import {
  PodAdditions, PodIdentity, RUNTIME_DIR, RUNTIME_PATH, containerSecurityContext, fieldRef, imagePullSecrets, podSecurityContext,
  runtimeMounts, runtimeVolumes, toolsInitContainer,
} from './pod';
import { ResourceRequirements } from './resources';
import { Scheme } from './topology';

/** File names of the scripts, as keys of the runtime ConfigMap. */
export const SCRIPTS = ['lib.sh', 'entrypoint.sh', 'reconcile.sh', 'snapshot.sh', 'defrag.sh'] as const;
/** The key of the desired member list in the runtime ConfigMap. */
export const MEMBERS_KEY = 'members';

let scriptCache: { [file: string]: string } | undefined;

/** The scripts' text, read once per process from the package's runtime directory. */
export function runtimeScripts(): { [file: string]: string } {
  if (!scriptCache) {
    const dir = path.join(__dirname, 'runtime');
    scriptCache = Object.fromEntries(SCRIPTS.map(f => [f, fs.readFileSync(path.join(dir, f), 'utf-8')]));
  }
  return scriptCache;
}

/** The content of the members file: one desired member name per line. */
export function membersFile(members: string[]): string {
  return members.map(m => `${m}\n`).join('');
}

/** How the runtime scripts find the members. */
export interface RuntimeNetwork {
  /** `<headless>.$(POD_NAMESPACE).svc.<domain>` */
  readonly memberDomain: string;
  readonly clientScheme: Scheme;
  readonly peerScheme: Scheme;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
}

/** The variables the scripts read (after POD_NAMESPACE, which the domain refers to). */
export function runtimeEnv(net: RuntimeNetwork): kplus.k8s.EnvVar[] {
  return [
    { name: 'ETCDK8S_RUNTIME_DIR', value: RUNTIME_DIR },
    { name: 'ETCDK8S_MEMBERS_FILE', value: `${RUNTIME_DIR}/${MEMBERS_KEY}` },
    { name: 'ETCDK8S_DOMAIN', value: net.memberDomain },
    { name: 'ETCDK8S_CLIENT_SCHEME', value: net.clientScheme },
    { name: 'ETCDK8S_CLIENT_PORT', value: `${net.clientPort}` },
    { name: 'ETCDK8S_PEER_SCHEME', value: net.peerScheme },
    { name: 'ETCDK8S_PEER_PORT', value: `${net.peerPort}` },
    { name: 'ETCDK8S_METRICS_PORT', value: `${net.metricsPort}` },
    { name: 'PATH', value: RUNTIME_PATH },
  ];
}

/** What a Job pod needs from the cluster it works on. */
export interface RuntimeContext {
  readonly image: EtcdImage;
  readonly toolsImage: ToolsImage;
  readonly identity: PodIdentity;
  readonly configMapName: string;
  readonly serviceAccountName: string;
  readonly imagePullSecrets: kplus.ISecret[];
  readonly network: RuntimeNetwork;
  /** Credentials etcdctl needs (TLS, auth), shared with the members. */
  readonly clientAdditions: PodAdditions;
  /** Labels of every object of the cluster (not the selector). */
  readonly labels: { [key: string]: string };
  readonly toolsResources?: ResourceRequirements;
}

export interface RuntimePodOptions {
  /** `app.kubernetes.io/component` of the pod. */
  readonly component: string;
  /** The script under /runtime to run. */
  readonly script: string;
  readonly env?: kplus.k8s.EnvVar[];
  readonly volumes?: kplus.k8s.Volume[];
  readonly mounts?: kplus.k8s.VolumeMount[];
  readonly resources?: ResourceRequirements;
  readonly podLabels?: { [key: string]: string };
  readonly podAnnotations?: { [key: string]: string };
  readonly nodeSelector?: { [key: string]: string };
  readonly tolerations?: kplus.k8s.Toleration[];
  readonly serviceAccountName?: string;
}

/** The pod template of a Job that runs one runtime script with etcdctl at hand. */
export function runtimeJobPodTemplate(ctx: RuntimeContext, options: RuntimePodOptions): kplus.k8s.PodTemplateSpec {
  const env = [
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    ...runtimeEnv(ctx.network),
    ...ctx.clientAdditions.envVars,
    ...options.env ?? [],
  ];
  return {
    metadata: {
      // The component comes last: with `etcd` a Job's pods would carry the members' selector.
      labels: { ...ctx.labels, ...options.podLabels, 'app.kubernetes.io/component': options.component },
      annotations: options.podAnnotations,
    },
    spec: {
      restartPolicy: 'OnFailure',
      serviceAccountName: options.serviceAccountName ?? ctx.serviceAccountName,
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(ctx.identity),
      imagePullSecrets: imagePullSecrets([ctx.image, ctx.toolsImage], ctx.imagePullSecrets),
      nodeSelector: options.nodeSelector,
      tolerations: options.tolerations,
      initContainers: [toolsInitContainer(ctx.toolsImage, ctx.identity, ctx.toolsResources)],
      containers: [{
        name: options.component,
        image: ctx.image.reference,
        imagePullPolicy: ctx.image.pullPolicy,
        command: ['/tools/bin/sh', `${RUNTIME_DIR}/${options.script}`],
        env,
        volumeMounts: [...runtimeMounts(), ...ctx.clientAdditions.mountList, ...options.mounts ?? []],
        resources: options.resources,
        securityContext: containerSecurityContext(ctx.identity),
      }],
      volumes: [...runtimeVolumes(ctx.configMapName), ...ctx.clientAdditions.volumeList, ...options.volumes ?? []],
    },
  };
}
