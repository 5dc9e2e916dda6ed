import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-etcd',
  description: 'A production etcd cluster for cdk8s: typed, validated constructs on the upstream etcd image, proven against a real etcd.',
  keywords: ['cdk8s', 'etcd', 'kubernetes', 'k8s', 'statefulset'],
  author: 'cdk8s-etcd developers',
  authorAddress: 'cdk8s-etcd@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk8s-etcd/cdk8s-etcd.git',
  defaultReleaseBranch: 'main',
  stability: 'experimental',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  cdk8sVersion: '2.70.106',
  constructsVersion: '10.4.5',
  jsiiVersion: '~6.0.0',
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  devDeps: [
    'cdk8s-plus-28@^2.5.6',
    'cdk8s-cli@2.207.60',
    'kubernetes-models@^4.5.1',
    '@kubernetes-models/prometheus-operator@^4.4.4',
    '@kubernetes-models/cert-manager@^4.4.4',
    'yaml@^2',
    'fast-check@^4',
    'ajv@^8',
    '@prometheus-io/lezer-promql@0.315.0',
  ],

  // npm only: no GitHub workflows, no release tooling, no other jsii targets.
  github: false,
  release: false,
  depsUpgrade: false,
  buildWorkflow: false,
  pullRequestTemplate: false,
  sampleCode: false,

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    // The per-file coverage table drowns the test output; coverage is still written to coverage/.
    coverageText: false,
    jestConfig: {
      testTimeout: 60_000,
      // The real-etcd scenarios start several processes each; one worker keeps them apart.
      maxWorkers: 1,
    },
  },
  tsconfigDev: {
    compilerOptions: {},
    include: ['../examples/**/*.ts', '../bench/**/*.ts'],
    // README blocks are written there and type-checked by test/readme.test.ts.
    exclude: ['.readme-blocks'],
  },
});

project.gitignore.exclude('cdk8s.out/', '.cache/', 'test/.readme-blocks/');
project.npmignore?.exclude('cdk8s.out/', 'examples/', 'bench/', 'scripts/', '.ci/', 'cdk8s.yaml', 'test/crds/');
project.eslint?.addIgnorePattern('src/imports/');
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('bench');
project.eslint?.allowDefaultProjectFiles('examples/*.ts', 'bench/*.ts');

// Typed classes for the CRDs the library renders, generated from the CRD YAML vendored in
// test/crds (which the schema tests also validate against) and committed. Regenerate with
// `npx projen import:crds` after updating a CRD there.
const crdImport = project.addTask('import:crds', {
  description: 'Regenerate src/imports from the CRDs in test/crds',
});
for (const [name, file] of [
  ['certificates', 'cert-manager.io_certificates.yaml'],
  ['issuers', 'cert-manager.io_issuers.yaml'],
  ['podmonitors', 'monitoring.coreos.com_podmonitors.yaml'],
  ['servicemonitors', 'monitoring.coreos.com_servicemonitors.yaml'],
  ['prometheusrules', 'monitoring.coreos.com_prometheusrules.yaml'],
]) {
  crdImport.exec(`cdk8s import ${name}:=test/crds/${file} -l typescript -o src/imports --no-check-upgrade`);
}

// The runtime scripts ship next to the compiled code; the construct reads them at synth time.
project.compileTask.exec('mkdir -p lib/runtime && cp src/runtime/*.sh lib/runtime/');

// Type-check the tests, examples and benchmark (jest's transform only compiles what it loads).
const test = project.tasks.tryFind('test')!;
test.prependExec('tsc --noEmit -p test/tsconfig.json');
// Scripts that run in the pods must be clean POSIX sh.
test.prependExec('bash scripts/shellcheck.sh');

project.addTask('synth', {
  description: 'Synthesize examples/basic.ts into cdk8s.out/',
  exec: 'cdk8s synth --no-check-upgrade',
});
project.addTask('bench', {
  description: 'Benchmark: synth time and memory per cluster',
  exec: 'ts-node --project test/tsconfig.json bench/synth-bench.ts',
});
project.addTask('test:binaries', {
  description: 'Fetch etcd, busybox, bwrap and shellcheck from Debian into the cache',
  exec: 'bash scripts/test-binaries.sh',
});

project.synth();
