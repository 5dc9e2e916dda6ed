import * as crypto from 'crypto';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid, invalidValue } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { goDuration } from './etcd-config';

/**
 * etcd's auth token types (`--auth-token`).
 */
export enum AuthTokenType {
  /** Opaque tokens kept in each member's memory. Not signed; etcd warns about them. */
  SIMPLE = 'simple',
  /** Signed JSON Web Tokens, valid on every member (recommended). */
  JWT = 'jwt',
}

const JWT_KEY_TYPES: { [method: string]: { type: 'rsa' | 'ec' | 'ed25519' | 'hmac'; curve?: string } } = {
  RS256: { type: 'rsa' },
  RS384: { type: 'rsa' },
  RS512: { type: 'rsa' },
  PS256: { type: 'rsa' },
  PS384: { type: 'rsa' },
  PS512: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'P-256' },
  ES384: { type: 'ec', curve: 'P-384' },
  ES512: { type: 'ec', curve: 'P-521' },
  EdDSA: { type: 'ed25519' },
  HS256: { type: 'hmac' },
  HS384: { type: 'hmac' },
  HS512: { type: 'hmac' },
};

/**
 * A JWT signing method etcd supports.
 */
export class JwtSignMethod {
  public static readonly RS256 = new JwtSignMethod('RS256');
  public static readonly RS384 = new JwtSignMethod('RS384');
  public static readonly RS512 = new JwtSignMethod('RS512');
  public static readonly PS256 = new JwtSignMethod('PS256');
  public static readonly PS384 = new JwtSignMethod('PS384');
  public static readonly PS512 = new JwtSignMethod('PS512');
  public static readonly ES256 = new JwtSignMethod('ES256');
  public static readonly ES384 = new JwtSignMethod('ES384');
  public static readonly ES512 = new JwtSignMethod('ES512');
  public static readonly EDDSA = new JwtSignMethod('EdDSA');
  public static readonly HS256 = new JwtSignMethod('HS256');
  public static readonly HS384 = new JwtSignMethod('HS384');
  public static readonly HS512 = new JwtSignMethod('HS512');

  /**
   * A sign method by name, as etcd spells it (e.g. `RS256`, from a chart's `auth.token.signMethod`).
   */
  public static of(name: string): JwtSignMethod {
    if (!(name in JWT_KEY_TYPES)) {
      invalidValue('JwtSignMethod', 'name', `"${name}" is not a JWT sign method etcd supports; use one of ${Object.keys(JWT_KEY_TYPES).join(', ')}`);
    }
    return new JwtSignMethod(name);
  }

  private constructor(public readonly name: string) {}
}

/**
 * Role-based access control: the root user, the auth token, and how members and Jobs authenticate.
 */
export interface EtcdAuthOptions {
  /**
   * The root user's password, from a Secret you manage (recommended). Give this or
   * `generateRootPassword`; with `tls.clientCertAuth` you may give neither, and root then
   * authenticates by certificate only (common name `root`).
   * @default - none
   */
  readonly rootPassword?: kplus.SecretValue;
  /**
   * Generate a random root password into a Secret named `<name>-auth` at synth time. The password
   * is written into the synthesized YAML and changes on every synth: use it for throwaway
   * clusters, or synthesize once and keep that Secret.
   * @default false
   */
  readonly generateRootPassword?: boolean;
  /**
   * Pass the password to the runtime scripts as an environment variable instead of a file.
   * @default false
   */
  readonly passwordFromEnv?: boolean;
  /**
   * The token type.
   * @default - JWT when a JWT key is given or generated, else SIMPLE
   */
  readonly tokenType?: AuthTokenType;
  /**
   * JWT signing method.
   * @default JwtSignMethod.RS256
   */
  readonly jwtSignMethod?: JwtSignMethod;
  /**
   * JWT lifetime (whole seconds).
   * @default Duration.minutes(10)
   */
  readonly jwtTtl?: Duration;
  /**
   * The JWT signing key (PEM; for HS* methods the secret bytes), from a Secret you manage.
   * @default - none
   */
  readonly jwtPrivateKey?: kplus.SecretValue;
  /**
   * Generate a JWT signing key into a Secret named `<name>-jwt` at synth time (it lands in the
   * YAML and changes on every synth; members restart when it changes).
   * @default false
   */
  readonly generateJwtKey?: boolean;
}

const AUTH_DIR = '/etc/etcd/auth';
const JWT_DIR = '/etc/etcd/jwt';

/**
 * etcd RBAC: the root password and the auth token the members use, and the credentials of the
 * construct's own etcdctl calls. The reconcile Job creates the root user and enables auth once the
 * cluster has quorum. Created by `EtcdCluster` from its `auth` prop.
 */
export class EtcdAuth extends Construct {
  /** Whether RBAC is enabled. */
  public readonly enabled: boolean;
  /** The token type, when enabled. */
  public readonly tokenType?: AuthTokenType;
  /** The generated root password Secret (only with `generateRootPassword`). */
  public readonly generatedPasswordSecret?: kplus.Secret;
  /** The generated JWT key Secret (only with `generateJwtKey`). */
  public readonly generatedJwtKeySecret?: kplus.Secret;
  /** The Secret and key that hold the root password, when there is one. */
  public readonly rootPassword?: kplus.SecretValue;

  constructor(cluster: EtcdCluster, id: string, options?: EtcdAuthOptions) {
    super(cluster, id);
    this.enabled = options !== undefined;
    if (!options) {
      return;
    }
    const facts = cluster._facts;
    const certAuth = cluster.tls.clientCertAuth;
    if (options.rootPassword && options.generateRootPassword) {
      invalid(cluster, 'auth.generateRootPassword', 'cannot be combined with `auth.rootPassword`: give the password\'s Secret or ask for a generated one, not both');
    }
    if (!options.rootPassword && !options.generateRootPassword && !certAuth) {
      invalid(cluster, 'auth.rootPassword', 'is needed: give a Secret (recommended), set `auth.generateRootPassword`, or authenticate root by certificate with `tls.clientCertAuth`');
    }
    if (options.passwordFromEnv && !options.rootPassword && !options.generateRootPassword) {
      invalid(cluster, 'auth.passwordFromEnv', 'has no password to pass: give `auth.rootPassword` or remove it');
    }

    if (options.generateRootPassword) {
      this.generatedPasswordSecret = new kplus.Secret(this, 'RootPassword', {
        metadata: cluster._metadata(`${facts.name}-auth`, 'auth'),
        stringData: { 'root-password': crypto.randomBytes(24).toString('base64url') },
      });
      this.rootPassword = { secret: this.generatedPasswordSecret, key: 'root-password' };
    } else {
      this.rootPassword = options.rootPassword;
    }

    const token = this.resolveToken(cluster, options);
    this.tokenType = token.type;
    this.generatedJwtKeySecret = token.generatedSecret;

    const clientEnv: k8s.EnvVar[] = [{ name: 'ETCDK8S_AUTH', value: certAuth && !this.rootPassword ? 'cert' : 'password' }];
    const clientVolumes: k8s.Volume[] = [];
    const clientMounts: k8s.VolumeMount[] = [];
    if (this.rootPassword) {
      const { secret, key } = this.rootPassword;
      if (options.passwordFromEnv) {
        clientEnv.push({ name: 'ETCDK8S_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: secret.name, key } } });
      } else {
        clientVolumes.push({ name: 'auth', secret: { secretName: secret.name, items: [{ key, path: 'root-password' }], defaultMode: 0o440 } });
        clientMounts.push({ name: 'auth', mountPath: AUTH_DIR, readOnly: true });
        clientEnv.push({ name: 'ETCDK8S_ROOT_PASSWORD_FILE', value: `${AUTH_DIR}/root-password` });
      }
    }
    cluster._addToClients({ env: clientEnv, volumes: clientVolumes, mounts: clientMounts });
    cluster._addToMembers({
      env: [{ name: 'ETCD_AUTH_TOKEN', value: token.flag }],
      volumes: token.volumes,
      mounts: token.mounts,
      podAnnotations: token.checksum ? { 'cdk8s-etcd/jwt-key-checksum': token.checksum } : undefined,
    });
  }

  private resolveToken(cluster: EtcdCluster, o: EtcdAuthOptions) {
    const facts = cluster._facts;
    const hasKey = o.jwtPrivateKey !== undefined || o.generateJwtKey === true;
    const type = o.tokenType ?? (hasKey ? AuthTokenType.JWT : AuthTokenType.SIMPLE);
    if (type === AuthTokenType.SIMPLE) {
      for (const prop of ['jwtSignMethod', 'jwtTtl', 'jwtPrivateKey', 'generateJwtKey'] as const) {
        if (o[prop] !== undefined) {
          invalid(cluster, `auth.${prop}`, 'only applies to JWT tokens; set `auth.tokenType` to AuthTokenType.JWT or remove it');
        }
      }
      return { type, flag: 'simple', volumes: [] as k8s.Volume[], mounts: [] as k8s.VolumeMount[], generatedSecret: undefined, checksum: undefined };
    }
    if (o.jwtPrivateKey && o.generateJwtKey) {
      invalid(cluster, 'auth.generateJwtKey', 'cannot be combined with `auth.jwtPrivateKey`: give the key\'s Secret or ask for a generated one, not both');
    }
    if (!hasKey) {
      invalid(cluster, 'auth.jwtPrivateKey', 'is needed for JWT tokens: give a Secret with the signing key, or set `auth.generateJwtKey`');
    }
    const method = o.jwtSignMethod ?? JwtSignMethod.RS256;
    const ttl = o.jwtTtl ?? Duration.minutes(10);
    const ttlMs = ttl.toMilliseconds({ integral: false });
    if (!(ttlMs >= 1000) || ttlMs % 1000 !== 0) {
      invalid(cluster, 'auth.jwtTtl', `must be a duration of whole seconds, at least 1 second (got ${ttl.toHumanString()})`);
    }
    let key: kplus.SecretValue;
    let checksum: string | undefined;
    let generatedSecret: kplus.Secret | undefined;
    if (o.generateJwtKey) {
      const pem = generateKey(method);
      if (!pem) {
        invalid(cluster, 'auth.generateJwtKey', `cannot make a key for ${method.name} (an HMAC secret); give \`auth.jwtPrivateKey\``);
      }
      const secret = new kplus.Secret(this, 'JwtKey', {
        metadata: cluster._metadata(`${facts.name}-jwt`, 'auth'),
        stringData: { 'jwt-key.pem': pem },
      });
      generatedSecret = secret;
      key = { secret, key: 'jwt-key.pem' };
      checksum = crypto.createHash('sha256').update(pem).digest('hex').slice(0, 16);
    } else {
      key = o.jwtPrivateKey!;
    }
    return {
      type,
      flag: `jwt,priv-key=${JWT_DIR}/jwt-key.pem,sign-method=${method.name},ttl=${goDuration(ttl)}`,
      volumes: [{ name: 'jwt-key', secret: { secretName: key.secret.name, items: [{ key: key.key, path: 'jwt-key.pem' }], defaultMode: 0o440 } }],
      mounts: [{ name: 'jwt-key', mountPath: JWT_DIR, readOnly: true }],
      checksum,
      generatedSecret,
    };
  }
}

/** A PEM private key for the sign method, or undefined for HMAC methods. */
function generateKey(method: JwtSignMethod): string | undefined {
  const kind = JWT_KEY_TYPES[method.name];
  const pem = (key: crypto.KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  switch (kind.type) {
    case 'rsa':
      return pem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    case 'ec':
      return pem(crypto.generateKeyPairSync('ec', { namedCurve: kind.curve! }).privateKey);
    case 'ed25519':
      return pem(crypto.generateKeyPairSync('ed25519').privateKey);
    default:
      return undefined;
  }
}
