/**
 * TLS against real etcd: certificates made with openssl in the layout cert-manager writes
 * (`tls.crt`, `tls.key`, `ca.crt`), mounted as the Secrets the synthesized YAML names.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TlsSource } from '../../src';
import { Manifest } from '../util';
import {
  NAMESPACE, allReady, clientUrl, etcdctl, etcdctlResult, eventually, localGet, memberList, members, reconcileJobName, sandbox, serviceUrl, synth,
} from './cluster';
import { Sandbox } from './runner';

jest.setTimeout(180_000);

type TlsSecret = { 'tls.crt': string; 'tls.key': string; 'ca.crt': string };

/** A CA and certificates signed by it, as cert-manager would write them into Secrets. */
class TestCa {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-etcd-ca-'));

  constructor() {
    this.openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=test-ca',
      '-keyout', this.file('ca.key'), '-out', this.file('ca.crt')]);
  }

  public issue(name: string, commonName: string, options: { dnsNames?: string[]; usages: string }): TlsSecret {
    const ext = [
      `extendedKeyUsage=${options.usages}`,
      options.dnsNames ? `subjectAltName=${[...options.dnsNames.map(d => `DNS:${d}`), 'IP:127.0.0.1'].join(',')}` : '',
    ].filter(l => l).join('\n');
    fs.writeFileSync(this.file(`${name}.ext`), `${ext}\n`);
    this.openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${commonName}`,
      '-keyout', this.file(`${name}.key`), '-out', this.file(`${name}.csr`)]);
    this.openssl(['x509', '-req', '-in', this.file(`${name}.csr`), '-CA', this.file('ca.crt'), '-CAkey', this.file('ca.key'), '-CAcreateserial',
      '-days', '1', '-extfile', this.file(`${name}.ext`), '-out', this.file(`${name}.crt`)]);
    return { 'tls.crt': this.read(`${name}.crt`), 'tls.key': this.read(`${name}.key`), 'ca.crt': this.read('ca.crt') };
  }

  /** Writes a certificate's files for etcdctl; returns the flags that use them. */
  public clientFlags(secret: TlsSecret, name: string, withCert = true): string[] {
    for (const [key, value] of Object.entries(secret)) {
      fs.writeFileSync(this.file(`${name}-${key}`), value);
    }
    return [`--cacert=${this.file(`${name}-ca.crt`)}`, ...withCert ? [`--cert=${this.file(`${name}-tls.crt`)}`, `--key=${this.file(`${name}-tls.key`)}`] : []];
  }

  public dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  private read(name: string): string {
    return fs.readFileSync(this.file(name), 'utf-8');
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: 'pipe' });
  }
}

describe('peer and client TLS with client certificate auth', () => {
  const ca = new TestCa();
  let sb: Sandbox;
  let manifests: Manifest[];
  let rootFlags: string[];
  let caOnlyFlags: string[];
  const https = members(3).map(m => clientUrl(m, 'https'));

  beforeAll(async () => {
    manifests = synth({
      tls: { peer: TlsSource.certManager(), client: TlsSource.certManager(), clientCertAuth: true, certManager: { selfSignedCa: true } },
    });
    const server = manifests.find(m => m.kind === 'Certificate' && m.metadata.name === 'etcd-server-tls').spec.dnsNames;
    const peer = manifests.find(m => m.kind === 'Certificate' && m.metadata.name === 'etcd-peer-tls').spec.dnsNames;
    const secrets = {
      'etcd-server-tls': ca.issue('server', 'etcd-server', { dnsNames: server, usages: 'serverAuth' }),
      'etcd-peer-tls': ca.issue('peer', 'etcd-peer', { dnsNames: peer, usages: 'serverAuth,clientAuth' }),
      'etcd-client-tls': ca.issue('client', 'root', { usages: 'clientAuth' }),
    };
    rootFlags = ca.clientFlags(secrets['etcd-client-tls'], 'root');
    caOnlyFlags = ca.clientFlags(secrets['etcd-client-tls'], 'anonymous', false);
    sb = await sandbox({ secrets });
    sb.apply(manifests);
  });
  afterAll(async () => {
    await sb?.close();
    ca.dispose();
  });

  test('a 3-member cluster forms over TLS; its probes pass on the plain-HTTP metrics listener', async () => {
    const pods = await sb.startStatefulSet('etcd');
    console.log(`TLS: pod start to all-ready ${(await allReady(pods)).toFixed(1)}s`);
    const list = await memberList(sb, https, rootFlags);
    expect(list.map(m => m.peerUrl).sort()).toEqual(members(3).map(m => `https://${m}.etcd-headless.${NAMESPACE}.svc.cluster.local:2380`));
  });

  test('etcdctl with the client certificate reads and writes', async () => {
    await etcdctl(sb, serviceUrl('https'), ['put', 'secure', 'yes'], rootFlags);
    for (const m of members(3)) {
      expect(await localGet(sb, m, 'secure', rootFlags, 'https')).toBe('yes');
    }
  });

  test('a plain-HTTP client and an HTTPS client without a certificate are refused', async () => {
    const plain = await etcdctlResult(sb, clientUrl('etcd-0'), ['get', 'secure']);
    expect(plain.code).not.toBe(0);
    const noCert = await etcdctlResult(sb, clientUrl('etcd-0', 'https'), ['get', 'secure'], caOnlyFlags);
    expect(noCert.code).not.toBe(0);
    // The client may see the refusal as a TLS alert or as a closed connection, depending on timing;
    // the member's log says why it refused.
    await eventually('etcd-0 to log the refused handshake', async () =>
      /rejected connection.*(didn't provide a certificate|certificate required)/i.test(sb.pod('etcd-0')!.logs('etcd')));
  });

  test('the reconcile Job works over TLS', async () => {
    const job = await sb.runJob(reconcileJobName(manifests));
    expect(job.succeeded).toBe(true);
    expect(job.logs).toContain('membership matches the desired members');
  });
});

describe('auto-TLS peers and clients', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
    sb.apply(synth({ tls: { peer: TlsSource.auto(), client: TlsSource.auto() } }));
  });
  afterAll(async () => sb?.close());

  test('form a cluster that serves clients over https', async () => {
    const pods = await sb.startStatefulSet('etcd');
    await allReady(pods);
    const insecure = ['--insecure-transport=false', '--insecure-skip-tls-verify'];
    await eventually('a write over auto TLS', async () => {
      await etcdctl(sb, serviceUrl('https'), ['put', 'auto', 'tls'], insecure);
      return true;
    });
    const list = await memberList(sb, members(3).map(m => clientUrl(m, 'https')), insecure);
    expect(list.filter(m => m.status === 'started' && m.peerUrl.startsWith('https://'))).toHaveLength(3);
    expect((await etcdctlResult(sb, clientUrl('etcd-1'), ['get', 'auto'])).code).not.toBe(0);
  });
});
