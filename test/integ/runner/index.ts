export { ensureBinaries, binaryCache } from './binaries';
export type { ContainerState, ExecOptions, ExecResult } from './container';
export { expand } from './env';
export type { ImageMapping, ImageSpec } from './images';
export type { KubeObject } from './manifest';
export { InitContainerError, Pod } from './pod';
export type { PodExecOptions, PodPhase, WaitOptions } from './pod';
export { Sandbox } from './sandbox';
export type { DeletePodOptions, JobResult, RunJobOptions, SandboxExecOptions, SandboxOptions } from './sandbox';
