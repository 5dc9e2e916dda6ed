import { IConstruct } from 'constructs';

/**
 * The error every validation rule of this library throws. Its message names the prop
 * (as a path such as `persistence.size`) and says what to change.
 *
 * Internal: users match on the message, which starts with `[cdk8s-etcd]`.
 */
export class EtcdValidationError extends Error {
  constructor(public readonly prop: string, message: string) {
    super(message);
    this.name = 'EtcdValidationError';
  }
}

/**
 * Throws an `EtcdValidationError` for `prop` of the construct at `scope`.
 */
export function invalid(scope: IConstruct, prop: string, problem: string): never {
  throw new EtcdValidationError(prop, `[cdk8s-etcd] ${scope.node.path}: \`${prop}\` ${problem}`);
}

/**
 * Same as `invalid` for checks that happen outside a construct (value classes).
 */
export function invalidValue(owner: string, prop: string, problem: string): never {
  throw new EtcdValidationError(prop, `[cdk8s-etcd] ${owner}: \`${prop}\` ${problem}`);
}
