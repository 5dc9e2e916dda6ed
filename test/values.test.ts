import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EtcdImage, ResourcesPreset, ToolsImage } from '../src';
import { goDuration } from '../src/etcd-config';
import { ResourceRequirements, explicitResources, sizeQuantity } from '../src/resources';

function plain(r: ResourceRequirements): { [k: string]: { [resource: string]: string | number } } {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v).map(([k, v]) => [k, Object.fromEntries(
    Object.entries(v as { [resource: string]: kplus.k8s.Quantity }).map(([name, q]) => [name, q.value]))]));
}

describe('value classes', () => {
  test('EtcdImage defaults to the pinned upstream image', () => {
    const image = EtcdImage.default();
    expect(image.reference).toBe('gcr.io/etcd-development/etcd:v3.6.14');
    expect(image.pullPolicy).toBe(kplus.ImagePullPolicy.IF_NOT_PRESENT);
    expect(image.pullSecrets).toEqual([]);
    expect(EtcdImage.fromVersion('v3.5.33').reference).toBe('gcr.io/etcd-development/etcd:v3.5.33');
    expect(EtcdImage.fromRegistry({ registry: 'registry.k8s.io', repository: 'etcd', tag: '3.6.14-0' }).reference).toBe('registry.k8s.io/etcd:3.6.14-0');
  });

  test('a digest pins the image instead of the tag', () => {
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    expect(EtcdImage.fromRegistry({ tag: 'v3.6.14', digest }).reference).toBe(`gcr.io/etcd-development/etcd@${digest}`);
    expect(ToolsImage.fromRegistry({ digest }).reference).toBe(`docker.io/library/busybox@${digest}`);
  });

  test('ToolsImage defaults to a static busybox', () => {
    expect(ToolsImage.default().reference).toBe('docker.io/library/busybox:1.37.0-musl');
  });

  test.each([
    [Duration.hours(72), '72h'], [Duration.minutes(90), '90m'], [Duration.seconds(45), '45s'], [Duration.millis(1500), '1500ms'],
  ])('%p as a Go duration is %p', (d, expected) => {
    expect(goDuration(d)).toBe(expected);
  });

  test.each([
    [Size.gibibytes(8), '8Gi'], [Size.mebibytes(1536), '1536Mi'], [Size.mebibytes(2048), '2Gi'], [Size.kibibytes(1500), '1500Ki'], [Size.tebibytes(1), '1Ti'],
  ])('%p as a quantity is %p', (size, expected) => {
    expect(sizeQuantity(size)).toBe(expected);
  });

  test('presets render the Bitnami values', () => {
    const micro = ResourcesPreset.MICRO._toKube()!;
    expect(plain(micro)).toEqual({
      requests: { 'cpu': '250m', 'memory': '256Mi', 'ephemeral-storage': '50Mi' },
      limits: { 'cpu': '375m', 'memory': '384Mi', 'ephemeral-storage': '2Gi' },
    });
    expect(ResourcesPreset.NONE._toKube()).toBeUndefined();
  });

  test('explicit resources keep only what is set', () => {
    const r = explicitResources({ memory: { limit: Size.mebibytes(512) } });
    expect(plain(r)).toEqual({ limits: { memory: '512Mi' } });
  });
});
