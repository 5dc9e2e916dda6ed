/**
 * Validates synthesized objects against the Kubernetes schemas (kubernetes-models 4.x) and the CRD
 * models (@kubernetes-models/prometheus-operator, @kubernetes-models/cert-manager).
 */
import { Manifest } from './util';

const PACKAGES: { [group: string]: string } = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'cert-manager.io': '@kubernetes-models/cert-manager',
};

/** Throws with the object's kind and name when it does not validate, or when no model knows its kind. */
export function validateManifest(m: Manifest): void {
  const [group, version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : [undefined, m.apiVersion];
  const pkg = (group && PACKAGES[group]) ?? 'kubernetes-models';
  const path = `${pkg}/${group ? `${group}/` : ''}${version}/${m.kind}`;
  let model;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    model = require(path)[m.kind];
  } catch (e) {
    throw new Error(`no schema model for ${m.apiVersion} ${m.kind} (${path}): ${(e as Error).message}`);
  }
  try {
    new model(m).validate();
  } catch (e) {
    throw new Error(`${m.kind}/${m.metadata?.name} does not validate: ${(e as Error).message}`);
  }
}

export function validateAll(manifests: Manifest[]): void {
  expect(manifests.length).toBeGreaterThan(0);
  for (const m of manifests) {
    validateManifest(m);
  }
}
