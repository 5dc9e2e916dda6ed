import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** A stand-in for a container image: a directory of files, never pulled. */
export interface ImageSpec {
  /** Host directory whose top-level entries are bound read-only at `/<entry>` in the container. */
  readonly root: string;
  /** The image's ENTRYPOINT; `command` replaces it. */
  readonly entrypoint?: readonly string[];
  /** The image's CMD; `args` (or `command`) replaces it. */
  readonly cmd?: readonly string[];
}

export interface ImageMapping {
  /** Tested against the full image reference, e.g. `gcr.io/etcd-development/etcd:v3.6.14`. */
  readonly match: RegExp | ((image: string) => boolean);
  readonly image: ImageSpec;
}

/** `registry/path/name` without `:tag` or `@digest`. */
export function repository(image: string): string {
  const [name] = image.split('@');
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

function repositoryEndsIn(name: string): (image: string) => boolean {
  return (image) => repository(image).split('/').pop() === name;
}

export function resolveImage(image: string, mappings: readonly ImageMapping[]): ImageSpec {
  const mapping = mappings.find((m) => (typeof m.match === 'function' ? m.match(image) : m.match.test(image)));
  if (!mapping) {
    throw new Error(`image ${image} is not mapped to local binaries (the runner knows repositories ending in etcd or busybox; add others with the imageMap option)`);
  }
  return mapping.image;
}

/**
 * The built-in images, made once next to the binaries:
 * - `…/etcd`: only `/usr/local/bin/{etcd,etcdctl,etcdutl}`, no shell, like the distroless upstream image;
 * - `…/busybox`: `/bin/busybox` and a symlink per applet, like the `busybox` image.
 */
export function defaultImages(binDir: string): ImageMapping[] {
  const images = path.join(binDir, '..', 'images');
  const etcd = makeImage(path.join(images, 'etcd'), (root) => {
    const dir = path.join(root, 'usr', 'local', 'bin');
    fs.mkdirSync(dir, { recursive: true });
    for (const b of ['etcd', 'etcdctl', 'etcdutl']) linkOrCopy(path.join(binDir, b), path.join(dir, b));
  });
  const busybox = makeImage(path.join(images, 'busybox'), (root) => {
    const dir = path.join(root, 'bin');
    fs.mkdirSync(dir, { recursive: true });
    linkOrCopy(path.join(binDir, 'busybox'), path.join(dir, 'busybox'));
    const applets = childProcess.execFileSync(path.join(binDir, 'busybox'), ['--list'], { encoding: 'utf8' }).split('\n');
    for (const applet of applets.filter((a) => a && a !== 'busybox')) fs.symlinkSync('busybox', path.join(dir, applet));
  });
  return [
    { match: repositoryEndsIn('etcd'), image: { root: etcd, cmd: ['/usr/local/bin/etcd'] } },
    { match: repositoryEndsIn('busybox'), image: { root: busybox, cmd: ['sh'] } },
  ];
}

/** The directories of the shared libraries `binary` loads (bound read-only into every container). */
export function sharedLibraryDirs(binary: string): string[] {
  const out = childProcess.execFileSync('ldd', [binary], { encoding: 'utf8' });
  const dirs = [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => path.dirname(m[1]));
  return [...new Set(dirs)].sort();
}

function makeImage(root: string, build: (dir: string) => void): string {
  if (fs.existsSync(root)) return root;
  fs.mkdirSync(path.dirname(root), { recursive: true });
  const tmp = fs.mkdtempSync(`${root}.tmp-`);
  build(tmp);
  try {
    fs.renameSync(tmp, root);
  } catch {
    // Another process made it first.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}

function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o755);
  }
}
