import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { goDuration } from './etcd-config';
import {
  Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyRotationPolicy, CertificateSpecUsages,
} from './imports/certificates-cert-manager.io';
import { Issuer } from './imports/issuers-cert-manager.io';
import { Scheme } from './topology';

/**
 * Key names in a TLS Secret. The defaults are those of `kubernetes.io/tls` Secrets and of the
 * Secrets cert-manager writes.
 */
export interface TlsSecretKeys {
  /**
   * Key of the PEM certificate (chain).
   * @default 'tls.crt'
   */
  readonly cert?: string;
  /**
   * Key of the PEM private key.
   * @default 'tls.key'
   */
  readonly privateKey?: string;
  /**
   * Key of the PEM CA certificate that signed the certificates.
   * @default 'ca.crt'
   */
  readonly ca?: string;
}

/** How one kind of traffic (peer or client) is encrypted. @internal */
export enum TlsKind {
  NONE = 'none',
  AUTO = 'auto',
  SECRET = 'secret',
  CERT_MANAGER = 'cert-manager',
}

/**
 * Where the certificates for peer or client traffic come from.
 */
export class TlsSource {
  /** Plain text. */
  public static none(): TlsSource {
    return new TlsSource(TlsKind.NONE);
  }

  /**
   * etcd's automatic TLS (`--auto-tls` / `--peer-auto-tls`): self-signed certificates each member
   * makes for itself. Encrypts, but proves no identity; clients must skip verification.
   */
  public static auto(): TlsSource {
    return new TlsSource(TlsKind.AUTO);
  }

  /**
   * Certificates from a Secret you provide. It must hold a certificate valid for every member's
   * DNS name (`<name>-<i>.<name>-headless.<namespace>.svc.<domain>`, or a wildcard) and the
   * Services', its key, and the CA that signed it.
   */
  public static fromSecret(secret: kplus.ISecret, keys: TlsSecretKeys = {}): TlsSource {
    return new TlsSource(TlsKind.SECRET, secret, keys);
  }

  /**
   * Certificates that cert-manager issues: configure the issuer with `tls.certManager`.
   */
  public static certManager(): TlsSource {
    return new TlsSource(TlsKind.CERT_MANAGER);
  }

  private constructor(
    /** @internal */ public readonly _kind: TlsKind,
    /** @internal */ public readonly _secret?: kplus.ISecret,
    /** @internal */ public readonly _keys: TlsSecretKeys = {},
  ) {}

  /** Whether traffic is encrypted. */
  public get enabled(): boolean {
    return this._kind !== TlsKind.NONE;
  }
}

/**
 * A cert-manager issuer to sign the certificates.
 */
export class CertManagerIssuer {
  /** An `Issuer` in the cluster's namespace. */
  public static issuer(name: string): CertManagerIssuer {
    return new CertManagerIssuer('Issuer', name);
  }

  /** A `ClusterIssuer`. */
  public static clusterIssuer(name: string): CertManagerIssuer {
    return new CertManagerIssuer('ClusterIssuer', name);
  }

  private constructor(
    /** `Issuer` or `ClusterIssuer`. */
    public readonly kind: string,
    /** The issuer's name. */
    public readonly name: string,
  ) {}
}

/**
 * Private key algorithms cert-manager supports.
 */
export enum KeyAlgorithm {
  RSA = 'RSA',
  ECDSA = 'ECDSA',
  ED25519 = 'Ed25519',
}

/**
 * How cert-manager issues the certificates (for the sides whose source is `TlsSource.certManager()`).
 */
export interface CertManagerOptions {
  /**
   * The issuer that signs the certificates. Give this or `selfSignedCa`.
   * @default - none
   */
  readonly issuer?: CertManagerIssuer;
  /**
   * Bootstrap a CA of the cluster's own: a self-signed Issuer signs a CA Certificate, and a CA
   * Issuer with that CA signs the member and client certificates. Give this or `issuer`.
   * @default false
   */
  readonly selfSignedCa?: boolean;
  /**
   * Private key algorithm.
   * @default KeyAlgorithm.ECDSA
   */
  readonly keyAlgorithm?: KeyAlgorithm;
  /**
   * Key size: 2048, 3072 or 4096 for RSA; 256, 384 or 521 for ECDSA; not used for Ed25519.
   * @default - 2048 for RSA, 256 for ECDSA
   */
  readonly keySize?: number;
  /**
   * Lifetime of the certificates (at least one hour).
   * @default Duration.days(90)
   */
  readonly duration?: Duration;
  /**
   * How long before expiry cert-manager renews them (at least 5 minutes, less than `duration`).
   * @default Duration.days(30)
   */
  readonly renewBefore?: Duration;
  /**
   * More DNS names for the server certificate, e.g. a LoadBalancer's name.
   * @default - none
   */
  readonly extraDnsNames?: string[];
}

/**
 * Encryption and certificate authentication of peer and client traffic.
 */
export interface EtcdTlsOptions {
  /**
   * Certificates for member-to-member traffic.
   * @default TlsSource.none()
   */
  readonly peer?: TlsSource;
  /**
   * Certificates for client traffic.
   * @default TlsSource.none()
   */
  readonly client?: TlsSource;
  /**
   * Require client certificates signed by the client CA (`--client-cert-auth`). With auth on, a
   * certificate's common name is the etcd user.
   * @default false
   */
  readonly clientCertAuth?: boolean;
  /**
   * Require peers to present certificates signed by the peer CA (`--peer-client-cert-auth`).
   * @default - true when peer certificates come from a Secret or cert-manager
   */
  readonly peerCertAuth?: boolean;
  /**
   * cert-manager settings, for sides whose source is `TlsSource.certManager()`.
   * @default - none; required when a side uses cert-manager
   */
  readonly certManager?: CertManagerOptions;
  /**
   * The client certificate the construct's own Jobs and the members' etcdctl use, when client
   * certificates come from a Secret. It must be signed by the client CA, carry the CA under the
   * same key names, and (with auth on) have the common name `root`.
   * @default - the client TLS Secret itself (its certificate must then allow client authentication)
   */
  readonly jobCredentials?: kplus.ISecret;
}

/** Options of `EtcdTls.addClientCertificate`. */
export interface ClientCertificateOptions {
  /** Common name: the etcd user when auth is on. */
  readonly commonName: string;
  /**
   * Name of the Secret cert-manager writes.
   * @default - `<cluster>-<commonName>-client-tls`
   */
  readonly secretName?: string;
}

interface CertificateRequest {
  readonly dnsNames?: string[];
  readonly commonName?: string;
  readonly usages: CertificateSpecUsages[];
}

const MOUNT = '/etc/etcd/tls';
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const DEFAULT_KEYS = { cert: 'tls.crt', privateKey: 'tls.key', ca: 'ca.crt' };

/** The schemes implied by the TLS props, needed before any object is rendered. */
export function tlsSchemes(options: EtcdTlsOptions = {}): { client: Scheme; peer: Scheme } {
  return {
    client: options.client?.enabled ? 'https' : 'http',
    peer: options.peer?.enabled ? 'https' : 'http',
  };
}

/**
 * Peer and client TLS: the certificates (from Secrets, or cert-manager Certificates this construct
 * creates), the etcd flags, and the credentials the construct's own etcdctl calls use. Created by
 * `EtcdCluster` from its `tls` prop.
 */
export class EtcdTls extends Construct {
  /** The self-signed Issuer that bootstraps the CA (with `selfSignedCa`). */
  public readonly selfSignedIssuer?: ApiObject;
  /** The CA Certificate (with `selfSignedCa`). */
  public readonly caCertificate?: ApiObject;
  /** The Issuer that signs with the cluster's CA (with `selfSignedCa`). */
  public readonly caIssuer?: ApiObject;
  /** The server certificate for client traffic (cert-manager). */
  public readonly serverCertificate?: ApiObject;
  /** The peer certificate (cert-manager). */
  public readonly peerCertificate?: ApiObject;
  /** The client certificate (common name `root`) of the construct's Jobs (cert-manager). */
  public readonly clientCertificate?: ApiObject;
  /**
   * A Secret with client credentials (`tls.crt`, `tls.key`, `ca.crt` or the configured keys): the
   * one the construct's own Jobs use. Mount it in an application only if it may act as `root`;
   * otherwise issue it its own with `addClientCertificate`.
   */
  public readonly clientCertificateSecret?: kplus.ISecret;
  /** Whether client traffic is encrypted. */
  public readonly clientTls: boolean;
  /** Whether peer traffic is encrypted. */
  public readonly peerTls: boolean;
  /** Whether clients must present certificates. */
  public readonly clientCertAuth: boolean;
  /** Whether client traffic uses etcd's automatic (unverifiable) certificates. */
  public readonly clientAutoTls: boolean;

  private readonly cluster: EtcdCluster;
  private readonly issuerRef?: { name: string; kind: string; group: string };
  private readonly certOptions: Required<Pick<CertManagerOptions, 'keyAlgorithm'>> & CertManagerOptions;
  private readonly clientKeys: Required<TlsSecretKeys>;

  constructor(cluster: EtcdCluster, id: string, options: EtcdTlsOptions = {}) {
    super(cluster, id);
    this.cluster = cluster;
    const peer = options.peer ?? TlsSource.none();
    const client = options.client ?? TlsSource.none();
    this.clientTls = client.enabled;
    this.peerTls = peer.enabled;
    this.clientCertAuth = options.clientCertAuth ?? false;
    this.clientAutoTls = client._kind === TlsKind.AUTO;
    const hasCa = (s: TlsSource) => s._kind === TlsKind.SECRET || s._kind === TlsKind.CERT_MANAGER;
    const peerCertAuth = options.peerCertAuth ?? hasCa(peer);

    if (this.clientCertAuth && !hasCa(client)) {
      invalid(cluster, 'tls.clientCertAuth', 'needs client certificates with a CA: set `tls.client` to TlsSource.fromSecret() or TlsSource.certManager()');
    }
    if (peerCertAuth && !hasCa(peer)) {
      invalid(cluster, 'tls.peerCertAuth', 'needs peer certificates with a CA: set `tls.peer` to TlsSource.fromSecret() or TlsSource.certManager()');
    }
    const peerKeys = this.checkKeys('tls.peer', peer);
    this.clientKeys = this.checkKeys('tls.client', client);
    if (options.jobCredentials && client._kind !== TlsKind.SECRET) {
      invalid(cluster, 'tls.jobCredentials', 'only applies when `tls.client` is TlsSource.fromSecret(); cert-manager issues the Jobs\' certificate itself');
    }

    const usesCertManager = peer._kind === TlsKind.CERT_MANAGER || client._kind === TlsKind.CERT_MANAGER;
    const cm = options.certManager;
    if (cm && !usesCertManager) {
      invalid(cluster, 'tls.certManager', 'only applies when `tls.peer` or `tls.client` is TlsSource.certManager()');
    }
    this.certOptions = { ...cm, keyAlgorithm: cm?.keyAlgorithm ?? KeyAlgorithm.ECDSA };
    if (usesCertManager) {
      const issuer = this.resolveIssuer(cm);
      this.issuerRef = issuer.ref;
      this.selfSignedIssuer = issuer.selfSigned;
      this.caCertificate = issuer.ca;
      this.caIssuer = issuer.caIssuer;
    }

    const facts = cluster._facts;
    if (peer._kind === TlsKind.CERT_MANAGER) {
      this.peerCertificate = this.certificate('PeerCertificate', `${facts.name}-peer-tls`, {
        dnsNames: this.memberDnsNames(),
        usages: [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.CLIENT_AUTH],
      });
    }
    if (client._kind === TlsKind.CERT_MANAGER) {
      this.serverCertificate = this.certificate('ServerCertificate', `${facts.name}-server-tls`, {
        dnsNames: [...this.memberDnsNames(), ...cm?.extraDnsNames ?? []],
        usages: [CertificateSpecUsages.SERVER_AUTH],
      });
      this.clientCertificate = this.certificate('ClientCertificate', `${facts.name}-client-tls`, {
        commonName: 'root',
        usages: [CertificateSpecUsages.CLIENT_AUTH],
      });
    }

    // Members: etcd's own flags.
    const env: k8s.EnvVar[] = [];
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [];
    const mountSecret = (volume: string, secretName: string, dir: string) => {
      volumes.push({ name: volume, secret: { secretName, defaultMode: 0o440 } });
      mounts.push({ name: volume, mountPath: `${MOUNT}/${dir}`, readOnly: true });
    };
    if (client._kind === TlsKind.AUTO) {
      env.push({ name: 'ETCD_AUTO_TLS', value: 'true' });
    } else if (client.enabled) {
      mountSecret('tls-server', this.secretName(client, `${facts.name}-server-tls`), 'server');
      env.push({ name: 'ETCD_CERT_FILE', value: `${MOUNT}/server/${this.clientKeys.cert}` });
      env.push({ name: 'ETCD_KEY_FILE', value: `${MOUNT}/server/${this.clientKeys.privateKey}` });
      if (this.clientCertAuth) {
        env.push({ name: 'ETCD_CLIENT_CERT_AUTH', value: 'true' });
        env.push({ name: 'ETCD_TRUSTED_CA_FILE', value: `${MOUNT}/server/${this.clientKeys.ca}` });
      }
    }
    if (peer._kind === TlsKind.AUTO) {
      env.push({ name: 'ETCD_PEER_AUTO_TLS', value: 'true' });
    } else if (peer.enabled) {
      mountSecret('tls-peer', this.secretName(peer, `${facts.name}-peer-tls`), 'peer');
      env.push({ name: 'ETCD_PEER_CERT_FILE', value: `${MOUNT}/peer/${peerKeys.cert}` });
      env.push({ name: 'ETCD_PEER_KEY_FILE', value: `${MOUNT}/peer/${peerKeys.privateKey}` });
      env.push({ name: 'ETCD_PEER_TRUSTED_CA_FILE', value: `${MOUNT}/peer/${peerKeys.ca}` });
      if (peerCertAuth) {
        env.push({ name: 'ETCD_PEER_CLIENT_CERT_AUTH', value: 'true' });
      }
    }
    cluster._addToMembers({ env, volumes, mounts });

    // Everyone who runs etcdctl (members and Jobs): how to reach the client port.
    if (client._kind === TlsKind.AUTO) {
      cluster._addToClients({ env: [{ name: 'ETCDCTL_INSECURE_SKIP_TLS_VERIFY', value: 'true' }] });
    } else if (client.enabled) {
      const credentials = client._kind === TlsKind.CERT_MANAGER
        ? kplus.Secret.fromSecretName(this, 'ClientCredentials', `${facts.name}-client-tls`)
        : options.jobCredentials ?? client._secret!;
      this.clientCertificateSecret = credentials;
      cluster._addToClients({
        env: [
          { name: 'ETCDCTL_CACERT', value: `${MOUNT}/client/${this.clientKeys.ca}` },
          { name: 'ETCDCTL_CERT', value: `${MOUNT}/client/${this.clientKeys.cert}` },
          { name: 'ETCDCTL_KEY', value: `${MOUNT}/client/${this.clientKeys.privateKey}` },
        ],
        volumes: [{ name: 'tls-client', secret: { secretName: credentials.name, defaultMode: 0o440 } }],
        mounts: [{ name: 'tls-client', mountPath: `${MOUNT}/client`, readOnly: true }],
      });
    }
  }

  /**
   * etcdctl's environment for an application whose client credentials (a Secret in cert-manager's
   * layout, e.g. from `addClientCertificate`) are mounted at `credentialsPath`.
   * @internal
   */
  public _clientEnv(credentialsPath: string): { [name: string]: string } {
    if (this.clientAutoTls) {
      return { ETCDCTL_INSECURE_SKIP_TLS_VERIFY: 'true' };
    }
    if (!this.clientTls) {
      return {};
    }
    const dir = credentialsPath.replace(/\/+$/, '');
    return {
      ETCDCTL_CACERT: `${dir}/${this.clientKeys.ca}`,
      ...this.clientCertAuth ? { ETCDCTL_CERT: `${dir}/${this.clientKeys.cert}`, ETCDCTL_KEY: `${dir}/${this.clientKeys.privateKey}` } : {},
    };
  }

  /**
   * Issues a client certificate for an application (cert-manager client TLS only). With auth on,
   * its common name is the etcd user it authenticates as.
   * @returns the Secret cert-manager writes, to mount in the application
   */
  public addClientCertificate(id: string, options: ClientCertificateOptions): kplus.ISecret {
    if (!this.clientCertificate) {
      invalid(this.cluster, 'tls.client', 'must be TlsSource.certManager() to issue client certificates with `addClientCertificate`');
    }
    if (!/^[^\s,=/]{1,64}$/.test(options.commonName)) {
      invalid(this.cluster, 'addClientCertificate.commonName', `must be 1 to 64 characters without spaces, ",", "=" or "/" (got "${options.commonName}")`);
    }
    const secretName = options.secretName ?? `${this.cluster._facts.name}-${options.commonName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-client-tls`;
    // The Certificate is named like its Secret: two certificates writing one Secret would overwrite each other.
    if (!/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(secretName)
      || this.node.findAll().some(c => c instanceof Certificate && c.name === secretName)) {
      invalid(this.cluster, options.secretName === undefined ? 'addClientCertificate.commonName' : 'addClientCertificate.secretName',
        `must give a Secret name (a DNS subdomain) that no other certificate of this cluster writes (got "${secretName}")`);
    }
    this.certificate(`Client-${id}`, secretName, { commonName: options.commonName, usages: [CertificateSpecUsages.CLIENT_AUTH] });
    return kplus.Secret.fromSecretName(this, `ClientSecret-${id}`, secretName);
  }

  private checkKeys(prop: string, source: TlsSource): Required<TlsSecretKeys> {
    const keys = { ...DEFAULT_KEYS, ...source._keys };
    for (const [name, key] of Object.entries(keys)) {
      if (!SECRET_KEY.test(key)) {
        invalid(this.cluster, `${prop} keys.${name}`, `must be a Secret key (letters, digits, "-", "_", "."; got "${key}"): the Secret must hold the certificate, the private key and the CA`);
      }
    }
    if (new Set(Object.values(keys)).size !== 3) {
      invalid(this.cluster, `${prop} keys`, `must name three different keys for the certificate, the private key and the CA (got ${JSON.stringify(keys)})`);
    }
    return keys;
  }

  private resolveIssuer(cm: CertManagerOptions | undefined) {
    if (!cm || (!cm.issuer && !cm.selfSignedCa)) {
      invalid(this.cluster, 'tls.certManager', 'needs an issuer: set `issuer` (CertManagerIssuer.issuer() or .clusterIssuer()) or `selfSignedCa: true`');
    }
    if (cm.issuer && cm.selfSignedCa) {
      invalid(this.cluster, 'tls.certManager', 'takes either `issuer` or `selfSignedCa`, not both');
    }
    if (!this.cluster._facts.namespace) {
      invalid(this.cluster, 'tls.certManager', 'needs the namespace for the certificates\' DNS names: give the chart a `namespace`');
    }
    const keySize = cm.keySize;
    const algorithm = this.certOptions.keyAlgorithm;
    const sizes: { [a: string]: number[] } = { RSA: [2048, 3072, 4096], ECDSA: [256, 384, 521], Ed25519: [] };
    if (keySize !== undefined && !sizes[algorithm].includes(keySize)) {
      invalid(this.cluster, 'tls.certManager.keySize', sizes[algorithm].length
        ? `must be one of ${sizes[algorithm].join(', ')} for ${algorithm} (got ${keySize})`
        : `does not apply to ${algorithm}; remove it`);
    }
    const duration = cm.duration ?? Duration.days(90);
    const renewBefore = cm.renewBefore ?? Duration.days(30);
    if (duration.toMilliseconds({ integral: false }) < Duration.hours(1).toMilliseconds()) {
      invalid(this.cluster, 'tls.certManager.duration', `must be at least 1 hour, as cert-manager requires (got ${duration.toHumanString()})`);
    }
    if (renewBefore.toMilliseconds({ integral: false }) < Duration.minutes(5).toMilliseconds()) {
      invalid(this.cluster, 'tls.certManager.renewBefore', `must be at least 5 minutes, as cert-manager requires (got ${renewBefore.toHumanString()})`);
    }
    if (renewBefore.toMilliseconds({ integral: false }) >= duration.toMilliseconds({ integral: false })) {
      invalid(this.cluster, 'tls.certManager.renewBefore',
        `(${renewBefore.toHumanString()}) must be shorter than \`tls.certManager.duration\` (${duration.toHumanString()}); cert-manager would reject the certificates`);
    }
    for (const name of cm.extraDnsNames ?? []) {
      if (!/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
        invalid(this.cluster, 'tls.certManager.extraDnsNames', `must be DNS names (got "${name}")`);
      }
    }
    if (cm.issuer) {
      return { ref: { name: cm.issuer.name, kind: cm.issuer.kind, group: 'cert-manager.io' } };
    }
    const facts = this.cluster._facts;
    const selfSigned = new Issuer(this, 'SelfSignedIssuer', {
      metadata: this.cluster._metadata(`${facts.name}-selfsigned`, 'tls'),
      spec: { selfSigned: {} },
    });
    const ca = new Certificate(this, 'CaCertificate', {
      metadata: this.cluster._metadata(`${facts.name}-ca`, 'tls'),
      spec: {
        isCa: true,
        commonName: `${facts.name}-ca`,
        secretName: `${facts.name}-ca`,
        duration: goDuration(Duration.days(3650)),
        privateKey: { ...this.privateKey(), rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.NEVER },
        issuerRef: { name: selfSigned.name, kind: 'Issuer', group: 'cert-manager.io' },
      },
    });
    const caIssuer = new Issuer(this, 'CaIssuer', {
      metadata: this.cluster._metadata(`${facts.name}-ca`, 'tls'),
      spec: { ca: { secretName: `${facts.name}-ca` } },
    });
    return { ref: { name: caIssuer.name, kind: 'Issuer', group: 'cert-manager.io' }, selfSigned, ca, caIssuer };
  }

  private privateKey() {
    const algorithm = this.certOptions.keyAlgorithm;
    return {
      algorithm: algorithm as string as CertificateSpecPrivateKeyAlgorithm,
      size: algorithm === KeyAlgorithm.ED25519 ? undefined : this.certOptions.keySize ?? (algorithm === KeyAlgorithm.RSA ? 2048 : 256),
      rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
    };
  }

  private certificate(id: string, secretName: string, spec: CertificateRequest): Certificate {
    return new Certificate(this, id, {
      metadata: this.cluster._metadata(secretName, 'tls'),
      spec: {
        secretName,
        commonName: spec.commonName,
        dnsNames: spec.dnsNames,
        ipAddresses: spec.dnsNames ? ['127.0.0.1'] : undefined,
        usages: [CertificateSpecUsages.DIGITAL_SIGNATURE, CertificateSpecUsages.KEY_ENCIPHERMENT, ...spec.usages],
        duration: goDuration(this.certOptions.duration ?? Duration.days(90)),
        renewBefore: goDuration(this.certOptions.renewBefore ?? Duration.days(30)),
        privateKey: this.privateKey(),
        issuerRef: this.issuerRef!,
      },
    });
  }

  private memberDnsNames(): string[] {
    return [...this.cluster._facts.topology.serverDnsNames(), 'localhost'];
  }

  private secretName(source: TlsSource, certManagerName: string): string {
    return source._kind === TlsKind.CERT_MANAGER ? certManagerName : source._secret!.name;
  }
}
