import * as kplus from 'cdk8s-plus-28';
import { invalidValue } from './errors';

/**
 * Where a container image comes from. Every field is optional; what is left out keeps the default
 * of the image class that uses it.
 */
export interface ImageOptions {
  /**
   * Registry host, e.g. `quay.io` or a mirror such as `registry.example.com:5000`.
   * @default - the image class's default registry
   */
  readonly registry?: string;
  /**
   * Repository within the registry, e.g. `coreos/etcd`.
   * @default - the image class's default repository
   */
  readonly repository?: string;
  /**
   * Tag. Ignored in the reference when `digest` is set (the digest pins the content).
   * @default - the image class's default tag
   */
  readonly tag?: string;
  /**
   * Content digest, `sha256:` followed by 64 hex digits. When set, the image is referenced by digest.
   * @default - referenced by tag
   */
  readonly digest?: string;
  /**
   * Pull policy.
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly pullPolicy?: kplus.ImagePullPolicy;
  /**
   * Secrets of type `kubernetes.io/dockerconfigjson` for a private registry.
   * @default - none
   */
  readonly pullSecrets?: kplus.ISecret[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/;
const REPOSITORY = /^[a-z0-9]+([._-]{1,2}[a-z0-9]+|\/[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A resolved image reference with its pull settings. Shared by `EtcdImage` and `ToolsImage`.
 */
export abstract class ContainerImage {
  /** The full image reference, e.g. `gcr.io/etcd-development/etcd:v3.6.14`. */
  public readonly reference: string;
  /** The image's registry. */
  public readonly registry: string;
  /** The image's repository. */
  public readonly repository: string;
  /** The tag (also set when a digest pins the image). */
  public readonly tag: string;
  /** The digest, if the image is pinned by digest. */
  public readonly digest?: string;
  /** Pull policy. */
  public readonly pullPolicy: kplus.ImagePullPolicy;
  /** Secrets to pull the image with. */
  public readonly pullSecrets: kplus.ISecret[];

  protected constructor(owner: string, options: ImageOptions, defaultRegistry: string, defaultRepository: string, defaultTag: string) {
    const registry = options.registry ?? defaultRegistry;
    const repository = options.repository ?? defaultRepository;
    const tag = options.tag ?? defaultTag;
    if (!REGISTRY.test(registry)) {
      invalidValue(owner, 'registry', `must be a registry host such as "quay.io" (got "${registry}")`);
    }
    if (!REPOSITORY.test(repository)) {
      invalidValue(owner, 'repository', `must be lower-case path components such as "coreos/etcd" (got "${repository}")`);
    }
    if (!TAG.test(tag)) {
      invalidValue(owner, 'tag', `must be a valid image tag such as "v3.6.14" (got "${tag}")`);
    }
    if (options.digest !== undefined && !DIGEST.test(options.digest)) {
      invalidValue(owner, 'digest', `must be "sha256:" followed by 64 lower-case hex digits (got "${options.digest}")`);
    }
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = options.digest;
    this.reference = options.digest ? `${registry}/${repository}@${options.digest}` : `${registry}/${repository}:${tag}`;
    this.pullPolicy = options.pullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT;
    this.pullSecrets = options.pullSecrets ?? [];
  }
}

/**
 * The etcd image. The default is the upstream image, `gcr.io/etcd-development/etcd` (the same image
 * as `quay.io/coreos/etcd` and `registry.k8s.io/etcd`), pinned to a v3.6 patch. It is distroless:
 * no shell, which is why the pods bring their own tools (see `ToolsImage`).
 */
export class EtcdImage extends ContainerImage {
  /** The default registry. */
  public static readonly DEFAULT_REGISTRY = 'gcr.io';
  /** The default repository. */
  public static readonly DEFAULT_REPOSITORY = 'etcd-development/etcd';
  /** The etcd release this version of the library is tested and pinned to. */
  public static readonly DEFAULT_TAG = 'v3.6.14';

  /**
   * The upstream image at the default, pinned version.
   */
  public static default(): EtcdImage {
    return new EtcdImage({});
  }

  /**
   * The upstream image at another version tag, e.g. `v3.6.15` or `v3.5.33`.
   */
  public static fromVersion(version: string): EtcdImage {
    return new EtcdImage({ tag: version });
  }

  /**
   * Any registry, repository, tag or digest, e.g. a mirror or `registry.k8s.io/etcd` with tag `3.6.14-0`.
   */
  public static fromRegistry(options: ImageOptions): EtcdImage {
    return new EtcdImage(options);
  }

  private constructor(options: ImageOptions) {
    super('EtcdImage', options, EtcdImage.DEFAULT_REGISTRY, EtcdImage.DEFAULT_REPOSITORY, EtcdImage.DEFAULT_TAG);
  }
}

/**
 * The image that brings a static busybox (`/bin/busybox`) to the shell-less etcd image. An init
 * container copies busybox into a shared `emptyDir`, so the runtime scripts can run in the etcd
 * container and in the Jobs.
 */
export class ToolsImage extends ContainerImage {
  /** The default registry. */
  public static readonly DEFAULT_REGISTRY = 'docker.io';
  /** The default repository. */
  public static readonly DEFAULT_REPOSITORY = 'library/busybox';
  /** The default tag: a musl build, which is statically linked. */
  public static readonly DEFAULT_TAG = '1.37.0-musl';

  /**
   * The default busybox image.
   */
  public static default(): ToolsImage {
    return new ToolsImage({});
  }

  /**
   * Another image or mirror. It must provide a statically linked busybox at `/bin/busybox`.
   */
  public static fromRegistry(options: ImageOptions): ToolsImage {
    return new ToolsImage(options);
  }

  private constructor(options: ImageOptions) {
    super('ToolsImage', options, ToolsImage.DEFAULT_REGISTRY, ToolsImage.DEFAULT_REPOSITORY, ToolsImage.DEFAULT_TAG);
  }
}
