import * as fs from 'fs';
import * as path from 'path';
import { expand } from './env';
import { ConfigMapVolumeSource, Container, KeyData, KeyToPath, missing, ObjectStore, SecretVolumeSource, Volume } from './manifest';

/** A bind mount into a container. */
export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

interface Materialized {
  readonly dir: string;
  readonly readOnly: boolean;
}

const DEFAULT_MODE = 0o644;

/**
 * The volumes of one pod incarnation. emptyDir, configMap, secret and projected
 * volumes live under `podDir` and go with the pod; persistentVolumeClaim volumes
 * are directories under `claimsDir`, named after the claim, and outlive it.
 */
export class PodVolumes {
  private readonly dirs = new Map<string, Materialized>();

  constructor(
    private readonly volumes: readonly Volume[],
    private readonly podDir: string,
    private readonly claimsDir: string,
  ) {}

  /** Create every volume. Throws, as the kubelet would refuse the pod, when a ConfigMap or Secret is missing. */
  public materialize(store: ObjectStore): void {
    for (const volume of this.volumes) {
      if (volume.persistentVolumeClaim) {
        const dir = path.join(this.claimsDir, volume.persistentVolumeClaim.claimName);
        fs.mkdirSync(dir, { recursive: true });
        this.dirs.set(volume.name, { dir, readOnly: !!volume.persistentVolumeClaim.readOnly });
      } else if (volume.emptyDir) {
        const dir = path.join(this.podDir, 'volumes', volume.name);
        fs.mkdirSync(dir, { recursive: true });
        fs.chmodSync(dir, 0o777);
        this.dirs.set(volume.name, { dir, readOnly: false });
      } else if (volume.configMap || volume.secret || volume.projected) {
        const dir = path.join(this.podDir, 'volumes', volume.name);
        writeAtomically(dir, projectedFiles(volume, store));
        this.dirs.set(volume.name, { dir, readOnly: true });
      } else {
        throw new Error(`volume ${volume.name}: unsupported source ${Object.keys(volume).filter((k) => k !== 'name').join(', ')}`);
      }
    }
  }

  /** Rewrite ConfigMap, Secret and projected volumes from `store`, as the kubelet syncs them. */
  public refresh(store: ObjectStore): void {
    for (const volume of this.volumes) {
      const dir = this.dirs.get(volume.name)?.dir;
      if (dir && (volume.configMap || volume.secret || volume.projected)) writeAtomically(dir, projectedFiles(volume, store));
    }
  }

  /** `container`'s volumeMounts as bind mounts, parents before children. `env` expands `subPathExpr`. */
  public mounts(container: Container, env: Readonly<Record<string, string>>): Mount[] {
    return (container.volumeMounts ?? []).map((m) => {
      const volume = this.dirs.get(m.name);
      if (!volume) throw new Error(`container ${container.name}: volumeMount ${m.mountPath} names unknown volume ${m.name}`);
      const subPath = m.subPathExpr !== undefined ? expand(m.subPathExpr, (n) => env[n]) : m.subPath;
      let source = volume.dir;
      if (subPath) {
        if (path.isAbsolute(subPath) || subPath.split('/').includes('..')) throw new Error(`invalid subPath ${subPath}`);
        source = path.join(volume.dir, subPath);
        if (!fs.existsSync(source)) fs.mkdirSync(source, { recursive: true, mode: 0o777 });
      }
      return { source, target: m.mountPath, readOnly: volume.readOnly || !!m.readOnly };
    }).sort((a, b) => a.target.localeCompare(b.target));
  }

  /** Remove what belongs to this incarnation; claims stay. */
  public remove(): void {
    fs.rmSync(this.podDir, { recursive: true, force: true });
  }
}

interface ProjectedFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

function projectedFiles(volume: Volume, store: ObjectStore): ProjectedFile[] {
  if (volume.configMap) return configMapFiles(volume.configMap, volume.configMap.defaultMode, store);
  if (volume.secret) return secretFiles(volume.secret, volume.secret.defaultMode, store);
  const mode = volume.projected?.defaultMode;
  return (volume.projected?.sources ?? []).flatMap((s) => {
    if (s.configMap) return configMapFiles(s.configMap, mode, store);
    if (s.secret) return secretFiles(s.secret, mode, store);
    throw new Error(`volume ${volume.name}: unsupported projected source ${Object.keys(s).join(', ')}`);
  });
}

function configMapFiles(source: ConfigMapVolumeSource, mode: number | undefined, store: ObjectStore): ProjectedFile[] {
  return keyFiles('ConfigMap', source.name, store.configMapData(source.name), source, mode);
}

function secretFiles(source: SecretVolumeSource, mode: number | undefined, store: ObjectStore): ProjectedFile[] {
  const name = source.secretName ?? source.name ?? '';
  return keyFiles('Secret', name, store.secretData(name), source, mode);
}

function keyFiles(
  kind: 'ConfigMap' | 'Secret', name: string, data: KeyData | undefined,
  source: { readonly items?: readonly KeyToPath[]; readonly optional?: boolean }, defaultMode = DEFAULT_MODE,
): ProjectedFile[] {
  if (!data) {
    if (source.optional) return [];
    throw missing(kind, name);
  }
  const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
  return items.flatMap((item) => {
    const content = data[item.key];
    if (content !== undefined) return [{ path: item.path, content, mode: item.mode ?? defaultMode }];
    if (source.optional) return [];
    throw new Error(`${kind} "${name}" has no key "${item.key}"`);
  });
}

/**
 * The kubelet's atomic writer: files go to a fresh `..<timestamp>` directory,
 * `..data` is switched to it with one rename, and each top-level name is a
 * symlink through `..data`, so readers never see a half-updated volume.
 */
function writeAtomically(dir: string, files: readonly ProjectedFile[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const generation = `..${new Date().toISOString().replace(/[-:.]/g, '_')}.${process.hrtime.bigint()}`;
  for (const f of files) {
    const target = path.join(dir, generation, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: f.mode });
    fs.chmodSync(target, f.mode);
  }
  fs.mkdirSync(path.join(dir, generation), { recursive: true });
  const next = path.join(dir, '..data_tmp');
  fs.rmSync(next, { force: true });
  fs.symlinkSync(generation, next);
  fs.renameSync(next, path.join(dir, '..data'));

  const names = new Set(files.map((f) => f.path.split('/')[0]));
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('..')) {
      if (entry !== '..data' && entry !== generation) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    } else if (!names.has(entry)) {
      fs.rmSync(path.join(dir, entry), { force: true });
    }
  }
  for (const name of names) {
    if (!fs.existsSync(path.join(dir, name))) fs.symlinkSync(path.join('..data', name), path.join(dir, name));
  }
}
