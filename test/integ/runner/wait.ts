interface Waiter {
  readonly check: () => void;
  readonly fail: (error: Error) => void;
}

/** Promises that settle when a condition holds after a `notify()`, or time out saying what they waited for. */
export class Notifier {
  private readonly waiters = new Set<Waiter>();

  public notify(): void {
    for (const w of [...this.waiters]) w.check();
  }

  /** Reject every pending wait (the sandbox is closing). */
  public failAll(error: Error): void {
    for (const w of [...this.waiters]) w.fail(error);
  }

  /** `what` is evaluated on timeout, so it can describe the state at that moment. */
  public until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (!done()) return;
          finish();
          resolve();
        },
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.fail(new Error(`timed out after ${timeoutMs}ms waiting for ${what()}`)), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }
}

/** `promise`, or an error naming `what` after `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
