import { Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { invalidValue } from './errors';

interface PresetValues {
  readonly requests: { [resource: string]: string };
  readonly limits: { [resource: string]: string };
}

// The Bitnami charts' `common.resources.preset` values, so that a chart user's preset means the same here.
const PRESETS: { [name: string]: PresetValues | undefined } = {
  'none': undefined,
  'nano': preset('100m', '128Mi', '150m', '192Mi'),
  'micro': preset('250m', '256Mi', '375m', '384Mi'),
  'small': preset('500m', '512Mi', '750m', '768Mi'),
  'medium': preset('500m', '1024Mi', '750m', '1536Mi'),
  'large': preset('1.0', '2048Mi', '1.5', '3072Mi'),
  'xlarge': preset('1.0', '3072Mi', '3.0', '6144Mi'),
  '2xlarge': preset('1.0', '3072Mi', '6.0', '12288Mi'),
};

function preset(cpuRequest: string, memoryRequest: string, cpuLimit: string, memoryLimit: string): PresetValues {
  return {
    requests: { 'cpu': cpuRequest, 'memory': memoryRequest, 'ephemeral-storage': '50Mi' },
    limits: { 'cpu': cpuLimit, 'memory': memoryLimit, 'ephemeral-storage': '2Gi' },
  };
}

/**
 * Container resources by size, with the values of the Bitnami charts' presets. Explicit `resources`
 * are recommended for production; presets are a starting point.
 */
export class ResourcesPreset {
  /** No requests or limits. */
  public static readonly NONE = new ResourcesPreset('none');
  /** requests 100m / 128Mi, limits 150m / 192Mi. */
  public static readonly NANO = new ResourcesPreset('nano');
  /** requests 250m / 256Mi, limits 375m / 384Mi. */
  public static readonly MICRO = new ResourcesPreset('micro');
  /** requests 500m / 512Mi, limits 750m / 768Mi. */
  public static readonly SMALL = new ResourcesPreset('small');
  /** requests 500m / 1024Mi, limits 750m / 1536Mi. */
  public static readonly MEDIUM = new ResourcesPreset('medium');
  /** requests 1 / 2048Mi, limits 1.5 / 3072Mi. */
  public static readonly LARGE = new ResourcesPreset('large');
  /** requests 1 / 3072Mi, limits 3 / 6144Mi. */
  public static readonly XLARGE = new ResourcesPreset('xlarge');
  /** requests 1 / 3072Mi, limits 6 / 12288Mi. */
  public static readonly XXLARGE = new ResourcesPreset('2xlarge');

  /**
   * A preset by its Bitnami name: none, nano, micro, small, medium, large, xlarge or 2xlarge.
   */
  public static of(name: string): ResourcesPreset {
    if (!(name in PRESETS)) {
      invalidValue('ResourcesPreset', 'name', `"${name}" is not a resource preset; use one of ${Object.keys(PRESETS).join(', ')}`);
    }
    return new ResourcesPreset(name);
  }

  private constructor(public readonly name: string) {}

  /** @internal */
  public _toKube(): ResourceRequirements | undefined {
    const values = PRESETS[this.name];
    return values && { requests: quantities(values.requests), limits: quantities(values.limits) };
  }
}

/** Requests and limits as the L1 classes take them. @internal */
export interface ResourceRequirements {
  readonly requests?: { [resource: string]: kplus.k8s.Quantity };
  readonly limits?: { [resource: string]: kplus.k8s.Quantity };
}

function quantities(values: { [resource: string]: string }): { [resource: string]: kplus.k8s.Quantity } {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, kplus.k8s.Quantity.fromString(v)]));
}

/**
 * A `Size` as a Kubernetes quantity in the largest binary unit that holds it exactly.
 * @internal
 */
export function sizeQuantity(size: Size): string {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  for (const [unit, factor] of [['Ti', 1024 ** 3], ['Gi', 1024 ** 2], ['Mi', 1024]] as const) {
    if (kib >= factor && kib % factor === 0) {
      return `${kib / factor}${unit}`;
    }
  }
  return `${kib}Ki`;
}

/**
 * Explicit cdk8s-plus resources as L1 requirements (memory and storage in exact binary units).
 * @internal
 */
export function explicitResources(resources: kplus.ContainerResources): ResourceRequirements {
  const requests: { [resource: string]: kplus.k8s.Quantity } = {};
  const limits: { [resource: string]: kplus.k8s.Quantity } = {};
  const put = (target: typeof requests, key: string, value?: string) => {
    if (value !== undefined) {
      target[key] = kplus.k8s.Quantity.fromString(value);
    }
  };
  put(requests, 'cpu', resources.cpu?.request?.amount);
  put(limits, 'cpu', resources.cpu?.limit?.amount);
  put(requests, 'memory', resources.memory?.request && sizeQuantity(resources.memory.request));
  put(limits, 'memory', resources.memory?.limit && sizeQuantity(resources.memory.limit));
  put(requests, 'ephemeral-storage', resources.ephemeralStorage?.request && sizeQuantity(resources.ephemeralStorage.request));
  put(limits, 'ephemeral-storage', resources.ephemeralStorage?.limit && sizeQuantity(resources.ephemeralStorage.limit));
  return {
    requests: Object.keys(requests).length ? requests : undefined,
    limits: Object.keys(limits).length ? limits : undefined,
  };
}

/**
 * Explicit resources when given, else the preset, else the fallback preset.
 * @internal
 */
export function resolveResources(explicit: kplus.ContainerResources | undefined, chosen: ResourcesPreset | undefined,
  fallback: ResourcesPreset): ResourceRequirements | undefined {
  return explicit ? explicitResources(explicit) : (chosen ?? fallback)._toKube();
}
