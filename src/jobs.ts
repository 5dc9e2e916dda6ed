import { Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { invalid } from './errors';
import { wholeSecondsOf } from './etcd-config';
import { validateAnnotations, validateLabels } from './labels';
import { ResourcesPreset, resolveResources } from './resources';
import { RuntimePodOptions } from './runtime';

/**
 * The pods of a Job or CronJob of the cluster (snapshots, defragmentation).
 */
export interface EtcdJobPodOptions {
  /**
   * Resources by size. Ignored when `resources` is set.
   * @default ResourcesPreset.NANO
   */
  readonly resourcesPreset?: ResourcesPreset;
  /**
   * Explicit requests and limits.
   * @default - from `resourcesPreset`
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Node labels the pods require.
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Taints the pods tolerate.
   * @default - none
   */
  readonly tolerations?: kplus.NodeTaintQuery[];
  /**
   * More labels of the pods.
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Annotations of the pods.
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * ServiceAccount of the pods (they need no API access).
   * @default - the members' ServiceAccount
   */
  readonly serviceAccount?: kplus.IServiceAccount;
}

/**
 * Schedule and bookkeeping of a CronJob.
 */
export interface EtcdCronJobOptions extends EtcdJobPodOptions {
  /**
   * When it runs.
   * @default - depends on the job
   */
  readonly schedule?: Cron;
  /**
   * Suspend future runs.
   * @default false
   */
  readonly suspend?: boolean;
  /**
   * What to do when a run is due while the previous one still runs.
   * @default ConcurrencyPolicy.FORBID
   */
  readonly concurrencyPolicy?: kplus.ConcurrencyPolicy;
  /**
   * Successful Jobs to keep.
   * @default 1
   */
  readonly successfulJobsHistoryLimit?: number;
  /**
   * Failed Jobs to keep.
   * @default 1
   */
  readonly failedJobsHistoryLimit?: number;
  /**
   * How late a missed run may still start.
   * @default - no deadline
   */
  readonly startingDeadline?: Duration;
  /**
   * How long one run may take before it is stopped.
   * @default - no limit
   */
  readonly activeDeadline?: Duration;
  /**
   * Retries of a failed run.
   * @default 2
   */
  readonly backoffLimit?: number;
}

const CRON_PART = /^(\*|([0-9]+)(-([0-9]+))?|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/([0-9]+))?$/;
const CRON_RANGES: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];

function validCronField(field: string, [min, max]: [number, number]): boolean {
  return field.split(',').every(part => {
    const m = CRON_PART.exec(part);
    if (!m) {
      return false;
    }
    const inRange = (n: string | undefined) => n === undefined || (Number(n) >= min && Number(n) <= max);
    return inRange(m[2]) && inRange(m[4]) && (m[7] === undefined || Number(m[7]) > 0);
  });
}

/** Throws unless `cron` is a five-field schedule Kubernetes accepts. */
export function validateCron(scope: IConstruct, prop: string, cron: Cron): string {
  const expr = cron.expressionString.trim();
  const fields = expr.split(/\s+/);
  if (fields.length !== 5 || !fields.every((f, i) => validCronField(f, CRON_RANGES[i]))) {
    invalid(scope, prop, `"${expr}" is not a valid cron schedule; use five fields (minute hour day month weekday), e.g. Cron.schedule({ minute: '*/30' })`);
  }
  return expr;
}

/** A Duration as whole seconds, or a validation error naming `prop`. */
export function wholeSeconds(scope: IConstruct, prop: string, d: Duration | undefined, min = 1): number | undefined {
  if (d === undefined) {
    return undefined;
  }
  const seconds = wholeSecondsOf(d);
  if (seconds === undefined || seconds < min) {
    invalid(scope, prop, `must be a whole number of seconds, at least ${min} (got ${d.toHumanString()})`);
  }
  return seconds;
}

function count(scope: IConstruct, prop: string, value: number | undefined, fallback: number, min: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > 2147483647) {
    invalid(scope, prop, `must be a whole number of at least ${min}, at most 2147483647 (got ${n})`);
  }
  return n;
}

/** `<cluster>-<suffix>`, refused when longer than a CronJob name may be (52). */
export function cronJobName(cluster: { readonly _facts: { readonly name: string } } & IConstruct, suffix: string): string {
  const name = `${cluster._facts.name}-${suffix}`;
  if (name.length > 52) {
    invalid(cluster, 'name', `is too long for the CronJob "${name}" (at most 52 characters); use at most ${51 - suffix.length} characters`);
  }
  return name;
}

/** The pod options of a runtime Job from the user's options (`prop` names them in errors). */
export function jobPodOptions(scope: IConstruct, prop: string, o: EtcdJobPodOptions): Omit<RuntimePodOptions, 'component' | 'script'> {
  validateLabels(scope, `${prop}.podLabels`, o.podLabels ?? {});
  validateLabels(scope, `${prop}.nodeSelector`, o.nodeSelector ?? {});
  validateAnnotations(scope, `${prop}.podAnnotations`, o.podAnnotations);
  return {
    resources: resolveResources(o.resources, o.resourcesPreset, ResourcesPreset.NANO),
    nodeSelector: o.nodeSelector,
    tolerations: o.tolerations?.map(t => t._toKube()),
    podLabels: o.podLabels,
    podAnnotations: o.podAnnotations,
    serviceAccountName: o.serviceAccount?.name,
  };
}

/** The CronJob spec around a Job pod template. */
export function cronJobSpec(scope: IConstruct, prop: string, o: EtcdCronJobOptions, fallback: Cron, template: k8s.PodTemplateSpec): k8s.CronJobSpec {
  return {
    schedule: validateCron(scope, `${prop}.schedule`, o.schedule ?? fallback),
    suspend: o.suspend ?? false,
    concurrencyPolicy: o.concurrencyPolicy ?? kplus.ConcurrencyPolicy.FORBID,
    successfulJobsHistoryLimit: count(scope, `${prop}.successfulJobsHistoryLimit`, o.successfulJobsHistoryLimit, 1, 0),
    failedJobsHistoryLimit: count(scope, `${prop}.failedJobsHistoryLimit`, o.failedJobsHistoryLimit, 1, 0),
    startingDeadlineSeconds: wholeSeconds(scope, `${prop}.startingDeadline`, o.startingDeadline, 10),
    jobTemplate: {
      spec: {
        backoffLimit: count(scope, `${prop}.backoffLimit`, o.backoffLimit, 2, 0),
        activeDeadlineSeconds: wholeSeconds(scope, `${prop}.activeDeadline`, o.activeDeadline),
        template,
      },
    },
  };
}
