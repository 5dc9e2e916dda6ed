/**
 * Validates synthesized objects against the Kubernetes schemas (kubernetes-models 4.x), the CRD
 * models (@kubernetes-models/prometheus-operator, @kubernetes-models/cert-manager), and for custom
 * resources also against the openAPIV3Schema of the CRDs vendored in test/crds.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { Manifest } from './util';

const PACKAGES: { [group: string]: string } = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'cert-manager.io': '@kubernetes-models/cert-manager',
};

/** CRD patterns are Go regular expressions: turn Go's `(?i)` into JavaScript's `i` flag. */
function goRegExp(pattern: string, flags: string): RegExp {
  return pattern.includes('(?i)') ? new RegExp(pattern.split('(?i)').join(''), `${flags}i`) : new RegExp(pattern, flags);
}
goRegExp.code = 'goRegExp';

let crdValidators: Map<string, ValidateFunction> | undefined;

/** apiVersion + kind -> validator of the vendored CRD's schema. */
function crdSchemas(): Map<string, ValidateFunction> {
  if (!crdValidators) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp } });
    crdValidators = new Map();
    const dir = path.join(__dirname, 'crds');
    for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.yaml'))) {
      const crd = parse(fs.readFileSync(path.join(dir, file), 'utf-8'));
      for (const version of crd.spec.versions) {
        crdValidators.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, ajv.compile(version.schema.openAPIV3Schema));
      }
    }
  }
  return crdValidators;
}

/** Throws with the object's kind and name when it does not validate, or when no model knows its kind. */
export function validateManifest(m: Manifest): void {
  const [group, version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : [undefined, m.apiVersion];
  const pkg = (group && PACKAGES[group]) ?? 'kubernetes-models';
  const modelPath = `${pkg}/${group ? `${group}/` : ''}${version}/${m.kind}`;
  let model;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    model = require(modelPath)[m.kind];
  } catch (e) {
    throw new Error(`no schema model for ${m.apiVersion} ${m.kind} (${modelPath}): ${(e as Error).message}`);
  }
  try {
    new model(m).validate();
  } catch (e) {
    throw new Error(`${m.kind}/${m.metadata?.name} does not validate: ${(e as Error).message}`);
  }
  if (group && PACKAGES[group]) {
    const crd = crdSchemas().get(`${m.apiVersion} ${m.kind}`);
    if (!crd) {
      throw new Error(`no vendored CRD in test/crds for ${m.apiVersion} ${m.kind}`);
    }
    if (!crd(m)) {
      throw new Error(`${m.kind}/${m.metadata?.name} does not validate against its CRD: ${JSON.stringify(crd.errors)}`);
    }
  }
}

export function validateAll(manifests: Manifest[]): void {
  expect(manifests.length).toBeGreaterThan(0);
  for (const m of manifests) {
    validateManifest(m);
  }
}
