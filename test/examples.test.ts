/**
 * Every example is a cdk8s app a user can copy: it must synthesize, and every object it renders must
 * validate against the Kubernetes schemas.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { validateAll } from './schema';
import { Manifest, findAll } from './util';

const root = path.join(__dirname, '..');
const examples = fs.readdirSync(path.join(root, 'examples')).filter(f => f.endsWith('.ts'));

function synthExample(file: string): Manifest[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-etcd-example-'));
  try {
    execFileSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--project', path.join(root, 'test/tsconfig.json'), path.join(root, 'examples', file)], {
      cwd: root,
      env: { ...process.env, CDK8S_OUTDIR: outdir },
      stdio: 'pipe',
    });
    return fs.readdirSync(outdir).filter(f => f.endsWith('.yaml'))
      .flatMap(f => parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf-8')).map(d => d.toJS()));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('examples', () => {
  test('there are examples', () => {
    expect(examples).toContain('basic.ts');
  });

  test.each(examples)('%s synthesizes schema-valid objects', file => {
    const manifests = synthExample(file);
    validateAll(manifests);
    expect(findAll(manifests, 'StatefulSet').length).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
