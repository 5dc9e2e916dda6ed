/**
 * Label and annotation syntax, as the Kubernetes API server checks it.
 */
import { IConstruct } from 'constructs';
import { invalid } from './errors';

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A DNS-1123 label, without its length limit (callers check the limit that applies to them). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain, without its length limit. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Whether `key` is a label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) {
    return false;
  }
  const name = parts[parts.length - 1];
  const prefix = parts.length === 2 ? parts[0] : undefined;
  return QUALIFIED_NAME.test(name) && name.length <= 63
    && (prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253));
}

/** Whether `value` is a label value (at most 63 characters, may be empty). */
export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value) && value.length <= 63;
}

/** Throws for the first key or value of `labels` that Kubernetes would refuse. */
export function validateLabels(scope: IConstruct, prop: string, labels: { [key: string]: string }): void {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) {
      invalid(scope, prop, `has "${key}", which is not a label key (an optional DNS prefix and "/", then letters, digits, "-", "_", "." up to 63 characters)`);
    }
    if (typeof value !== 'string' || !isLabelValue(value)) {
      invalid(scope, prop, `has "${key}": "${value}", which is not a label value (letters, digits, "-", "_", "." up to 63 characters, starting and ending with a letter or digit)`);
    }
  }
}

/** Throws for the first annotation key Kubernetes would refuse (values may be any text). */
export function validateAnnotations(scope: IConstruct, prop: string, annotations: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (!isLabelKey(key)) {
      invalid(scope, prop, `has "${key}", which is not an annotation key (an optional DNS prefix and "/", then letters, digits, "-", "_", "." up to 63 characters)`);
    }
    if (typeof value !== 'string') {
      invalid(scope, prop, `has "${key}" with a value that is not text`);
    }
  }
}
