/**
 * What the README shows must work as shown: every TypeScript block type-checks against the library
 * and runs (synthesizing into a temporary directory).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');
const blocksDir = path.join(__dirname, '.readme-blocks');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf-8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);

/** A block as a file: the package name points at the sources. */
function writeBlocks(): string[] {
  fs.rmSync(blocksDir, { recursive: true, force: true });
  fs.mkdirSync(blocksDir, { recursive: true });
  return blocks.map((code, i) => {
    const file = path.join(blocksDir, `block${i + 1}.ts`);
    fs.writeFileSync(file, code.replace(/from 'cdk8s-etcd'/g, "from '../../src'"));
    return file;
  });
}

describe('README', () => {
  const files = writeBlocks();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-etcd-readme-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('has TypeScript blocks, each a complete program', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const code of blocks) {
      expect(code).toMatch(/from 'cdk8s-etcd'/);
      expect(code).toMatch(/app\.synth\(\);\s*$/);
    }
  });

  test('every block type-checks', () => {
    const config = ts.readConfigFile(path.join(__dirname, 'tsconfig.json'), ts.sys.readFile);
    const options = ts.parseJsonConfigFileContent(config.config, ts.sys, __dirname).options;
    const program = ts.createProgram(files, { ...options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter(d => d.file && files.includes(path.resolve(d.file.fileName)));
    const messages = diagnostics.map(d => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${path.basename(d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(messages).toEqual([]);
  }, 60_000);

  test.each(files.map((f, i) => [i + 1, f]))('block %i runs and synthesizes', (_i, file) => {
    const before = process.env.CDK8S_OUTDIR;
    const dir = fs.mkdtempSync(path.join(outdir, 'block-'));
    process.env.CDK8S_OUTDIR = dir;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jest.isolateModules(() => require(file));
    } finally {
      process.env.CDK8S_OUTDIR = before;
    }
    const yaml = fs.readdirSync(dir).map(f => fs.readFileSync(path.join(dir, f), 'utf-8')).join('\n');
    expect(yaml).toContain('kind: StatefulSet');
  });
});
