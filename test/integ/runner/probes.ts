import { Probe } from './manifest';
import { CheckResult } from './protocol';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/** One probe attempt; `timeoutMs` is the probe's `timeoutSeconds`. */
export type Check = (timeoutMs: number) => Promise<CheckResult>;

export interface ProbeLoopOptions {
  readonly kind: ProbeKind;
  readonly probe: Probe;
  readonly check: Check;
  /** Multiplies `initialDelaySeconds` and `periodSeconds` (not `timeoutSeconds`). */
  readonly timeScale: number;
  /** Probe only while this holds (liveness and readiness wait for the startup probe). */
  readonly gate?: () => boolean;
  /** Called when the thresholds flip the probe's verdict. */
  readonly onChange: (healthy: boolean) => void;
}

/**
 * A kubelet probe worker: the first attempt after `initialDelaySeconds`, then one
 * every `periodSeconds` after the previous one ends; the verdict turns healthy
 * after `successThreshold` consecutive successes and unhealthy after
 * `failureThreshold` consecutive failures. It starts with no verdict.
 */
export class ProbeLoop {
  public last?: CheckResult & { readonly at: Date };
  private healthy?: boolean;
  private successes = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: ProbeLoopOptions) {
    this.schedule(options.probe.initialDelaySeconds ?? 0);
  }

  public stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  public describe(): string {
    const last = this.last ? `${this.last.ok ? 'succeeded' : 'failed'}: ${this.last.message}` : 'not run yet';
    return `${this.options.kind} probe ${last} (${this.failures} consecutive failures)`;
  }

  private schedule(seconds: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), seconds * 1000 * this.options.timeScale);
  }

  private async tick(): Promise<void> {
    const { probe, gate, check, onChange } = this.options;
    if (!gate || gate()) {
      const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
      const result = await check(timeoutMs).catch((e: Error) => ({ ok: false, message: e.message }));
      if (this.stopped) return;
      this.last = { ...result, at: new Date() };
      this.successes = result.ok ? this.successes + 1 : 0;
      this.failures = result.ok ? 0 : this.failures + 1;
      if (this.healthy !== true && this.successes >= (probe.successThreshold ?? 1)) {
        this.healthy = true;
        onChange(true);
      } else if (this.healthy !== false && this.failures >= (probe.failureThreshold ?? 3)) {
        this.healthy = false;
        onChange(false);
      }
    }
    this.schedule(probe.periodSeconds ?? 10);
  }
}
