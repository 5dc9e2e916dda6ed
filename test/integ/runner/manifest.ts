// The parts of synthesized Kubernetes objects the runner reads, typed loosely:
// only the fields it honours are declared.

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** Any synthesized object, as `Testing.synth(chart)` returns it. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

export interface KeyToPath {
  readonly key: string;
  readonly path: string;
  readonly mode?: number;
}

export interface ConfigMap extends KubeObject {
  readonly data?: Record<string, string>;
  readonly binaryData?: Record<string, string>;
}

export interface Secret extends KubeObject {
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
}

export interface Service extends KubeObject {
  readonly spec?: {
    readonly clusterIP?: string;
    readonly selector?: Record<string, string>;
    readonly publishNotReadyAddresses?: boolean;
  };
}

interface KeySelector {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly fieldRef?: { readonly fieldPath: string };
    readonly resourceFieldRef?: { readonly containerName?: string; readonly resource: string; readonly divisor?: string | number };
    readonly secretKeyRef?: KeySelector;
    readonly configMapKeyRef?: KeySelector;
  };
}

export interface EnvFromSource {
  readonly prefix?: string;
  readonly configMapRef?: { readonly name: string; readonly optional?: boolean };
  readonly secretRef?: { readonly name: string; readonly optional?: boolean };
}

export type PortRef = number | string;

export interface Probe {
  readonly httpGet?: {
    readonly path?: string;
    readonly port: PortRef;
    readonly host?: string;
    readonly scheme?: string;
    readonly httpHeaders?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  };
  readonly tcpSocket?: { readonly port: PortRef; readonly host?: string };
  readonly exec?: { readonly command: readonly string[] };
  readonly grpc?: { readonly port: number };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
}

/** A lifecycle hook; the runner supports `exec` and `sleep`. */
export interface LifecycleHandler {
  readonly exec?: { readonly command: readonly string[] };
  readonly sleep?: { readonly seconds: number };
  readonly httpGet?: object;
}

export interface SecurityContext {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly subPath?: string;
  readonly subPathExpr?: string;
  readonly readOnly?: boolean;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly EnvFromSource[];
  readonly ports?: ReadonlyArray<{ readonly name?: string; readonly containerPort: number }>;
  readonly volumeMounts?: readonly VolumeMount[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { readonly postStart?: LifecycleHandler; readonly preStop?: LifecycleHandler };
  readonly securityContext?: SecurityContext;
  readonly resources?: {
    readonly limits?: Record<string, string | number>;
    readonly requests?: Record<string, string | number>;
  };
  /** `Always` on an init container makes it a sidecar. */
  readonly restartPolicy?: string;
}

export interface ConfigMapVolumeSource {
  readonly name: string;
  readonly items?: readonly KeyToPath[];
  readonly optional?: boolean;
}

export interface SecretVolumeSource {
  readonly secretName?: string;
  readonly name?: string;
  readonly items?: readonly KeyToPath[];
  readonly optional?: boolean;
}

export interface Volume {
  readonly name: string;
  readonly emptyDir?: object;
  readonly configMap?: ConfigMapVolumeSource & { readonly defaultMode?: number };
  readonly secret?: SecretVolumeSource & { readonly defaultMode?: number };
  readonly projected?: {
    readonly defaultMode?: number;
    readonly sources: ReadonlyArray<{ readonly configMap?: ConfigMapVolumeSource; readonly secret?: SecretVolumeSource }>;
  };
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly restartPolicy?: string;
  readonly securityContext?: SecurityContext;
  readonly terminationGracePeriodSeconds?: number;
  readonly serviceAccountName?: string;
  readonly hostname?: string;
  readonly subdomain?: string;
}

export interface PodTemplate {
  readonly metadata?: ObjectMeta;
  readonly spec: PodSpec;
}

export interface StatefulSet extends KubeObject {
  readonly spec: {
    readonly replicas?: number;
    readonly serviceName?: string;
    readonly podManagementPolicy?: string;
    readonly template: PodTemplate;
    readonly volumeClaimTemplates?: ReadonlyArray<{ readonly metadata?: ObjectMeta }>;
  };
}

export interface JobSpec {
  readonly template: PodTemplate;
  readonly backoffLimit?: number;
  readonly activeDeadlineSeconds?: number;
}

export interface Job extends KubeObject {
  readonly spec: JobSpec;
}

export interface CronJob extends KubeObject {
  readonly spec: { readonly jobTemplate: { readonly spec: JobSpec } };
}

/** Key/value files of a ConfigMap or Secret, decoded. */
export type KeyData = Record<string, Buffer>;

/** The desired objects (what `apply` was last given), plus the Secrets the test supplies. */
export class ObjectStore {
  constructor(
    private readonly objects: readonly KubeObject[],
    private readonly namespace: string,
    private readonly extraSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>,
  ) {}

  public namespaceOf(obj: KubeObject): string {
    return obj.metadata?.namespace ?? this.namespace;
  }

  public all<T extends KubeObject>(kind: string): T[] {
    return this.objects.filter((o) => o.kind === kind && this.namespaceOf(o) === this.namespace) as T[];
  }

  public find<T extends KubeObject>(kind: string, name: string): T | undefined {
    return this.all<T>(kind).find((o) => o.metadata?.name === name);
  }

  public get<T extends KubeObject>(kind: string, name: string): T {
    const obj = this.find<T>(kind, name);
    if (!obj) throw new Error(`no ${kind} named "${name}" in namespace ${this.namespace} among the applied objects`);
    return obj;
  }

  public configMapData(name: string): KeyData | undefined {
    const cm = this.find<ConfigMap>('ConfigMap', name);
    if (!cm) return undefined;
    return { ...mapValues(cm.data, (v) => Buffer.from(v)), ...mapValues(cm.binaryData, (v) => Buffer.from(v, 'base64')) };
  }

  /** A synthesized Secret, else one the test supplied, else undefined. */
  public secretData(name: string): KeyData | undefined {
    const secret = this.find<Secret>('Secret', name);
    if (secret) {
      return { ...mapValues(secret.data, (v) => Buffer.from(v, 'base64')), ...mapValues(secret.stringData, (v) => Buffer.from(v)) };
    }
    const supplied = this.extraSecrets[name];
    return supplied && mapValues(supplied, (v) => Buffer.from(v));
  }
}

function mapValues<T>(record: Readonly<Record<string, string>> | undefined, f: (v: string) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, f(v)]));
}

/** `name` is missing: the error a kubelet would report, naming what the test can supply. */
export function missing(kind: 'ConfigMap' | 'Secret', name: string): Error {
  const hint = kind === 'Secret' ? ' (pass it to Sandbox.create({ secrets: { name: { key: value } } }) if it is created outside the chart)' : '';
  return new Error(`${kind} "${name}" is neither among the applied objects nor supplied${hint}`);
}
