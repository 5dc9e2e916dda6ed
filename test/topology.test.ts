import { Topology, faultTolerance, quorum } from '../src/topology';

describe('quorum math', () => {
  test.each([[1, 1, 0], [2, 2, 0], [3, 2, 1], [4, 3, 1], [5, 3, 2], [6, 4, 2], [7, 4, 3]])(
    '%i members: quorum %i, tolerate %i failures', (members, q, tolerated) => {
      expect(quorum(members)).toBe(q);
      expect(faultTolerance(members)).toBe(tolerated);
    });
});

describe('Topology', () => {
  const spec = { name: 'etcd', clusterDomain: 'cluster.local', replicas: 3, clientPort: 2379, peerPort: 2380, metricsPort: 2381 } as const;

  test('with a namespace, names are fully qualified', () => {
    const t = new Topology({ ...spec, namespace: 'db', clientScheme: 'https', peerScheme: 'http' });
    expect(t.members).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(t.memberHost('etcd-1')).toBe('etcd-1.etcd-headless.db.svc.cluster.local');
    expect(t.peerUrl('etcd-1')).toBe('http://etcd-1.etcd-headless.db.svc.cluster.local:2380');
    expect(t.clientUrl('etcd-1')).toBe('https://etcd-1.etcd-headless.db.svc.cluster.local:2379');
    expect(t.clientEndpoint).toBe('https://etcd.db.svc.cluster.local:2379');
  });

  test('without a namespace, names are namespace-relative', () => {
    const t = new Topology({ ...spec, clientScheme: 'http', peerScheme: 'http' });
    expect(t.memberDomain).toBe('etcd-headless');
    expect(t.clientEndpoint).toBe('http://etcd:2379');
  });

  test('server DNS names cover every member and both Services, short and qualified', () => {
    const names = new Topology({ ...spec, namespace: 'db', clientScheme: 'https', peerScheme: 'https' }).serverDnsNames();
    for (const n of [
      'etcd-0.etcd-headless', 'etcd-2.etcd-headless.db.svc.cluster.local', '*.etcd-headless.db.svc',
      'etcd-headless', 'etcd-headless.db.svc.cluster.local', 'etcd', 'etcd.db', 'etcd.db.svc', 'etcd.db.svc.cluster.local',
    ]) {
      expect(names).toContain(n);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});
