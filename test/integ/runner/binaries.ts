import * as childProcess from 'child_process';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

let binDir: string | undefined;

/** Where scripts/test-binaries.sh keeps its downloads (`$CDK8S_ETCD_BIN_CACHE` overrides). */
export function binaryCache(): string {
  return process.env.CDK8S_ETCD_BIN_CACHE ?? path.join(REPO_ROOT, 'node_modules', '.cache', 'cdk8s-etcd');
}

/**
 * Fetch etcd, etcdctl, etcdutl, busybox, bwrap and shellcheck (once per process)
 * and return the directory that holds them. Throws with the script's output when
 * it fails: the integration tests must fail, never skip, without their binaries.
 */
export function ensureBinaries(): string {
  if (binDir) return binDir;
  const cache = binaryCache();
  const r = childProcess.spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'test-binaries.sh'), cache], { encoding: 'utf8' });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || String(r.error ?? r.signal);
    throw new Error(`scripts/test-binaries.sh failed (exit ${r.status ?? r.signal}):\n${output}`);
  }
  binDir = path.join(cache, 'bin');
  return binDir;
}
