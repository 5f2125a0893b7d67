// Session channels per connection are limited by the server (OpenSSH MaxSessions, 10 by
// default): more would be refused. Every session channel counts — commands, the SFTP
// session, and the extra channel that kills a timed-out command's process group. One
// slot is held back for those kills: if every slot held a hung command, a timeout could
// otherwise never be enforced. Ordinary work queues in FIFO order. A channel held for
// the whole run (the host lock's holder, see src/hostlock) is taken out of the pool
// with hold(), so it never starves ordinary work of its last slot.

export type ChannelPriority = 'normal' | 'control';
export type Release = () => void;

interface Waiter {
  priority: ChannelPriority;
  grant: (release: Release) => void;
  fail: (error: Error) => void;
}

export class ChannelLimiter {
  private normal: number;
  private total: number;
  private active = 0;
  private waiting: Waiter[] = [];
  private reclaimers = new Set<() => void>();

  constructor(maxChannels: number) {
    const max = Math.max(1, Math.floor(maxChannels));
    this.normal = Math.max(1, max - 1);
    this.total = this.normal + 1;
  }

  /** Slots ordinary work may take. */
  get normalCapacity(): number {
    return this.normal;
  }

  /** Slots in all, with the one held back for kills. */
  get totalCapacity(): number {
    return this.total;
  }

  /**
   * Take one slot out of the pool until the returned function is called, for a channel
   * that stays open for the whole run. Undefined when that would leave ordinary work
   * no slot at all (maxChannels below 3).
   */
  hold(): Release | undefined {
    if (this.normal < 2) return undefined;
    this.normal--;
    this.total--;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.normal++;
      this.total++;
      this.dispatch();
    };
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Wait for a slot; an aborted signal takes the request out of the queue. */
  acquire(priority: ChannelPriority = 'normal', signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.canGrant(priority) && (priority === 'control' || this.waiting.length === 0)) {
      return Promise.resolve(this.grant());
    }
    const promise = new Promise<Release>((grant, fail) => {
      const waiter: Waiter = {
        priority,
        grant: (release) => (signal?.removeEventListener('abort', onAbort), grant(release)),
        fail: (error) => (signal?.removeEventListener('abort', onAbort), fail(error)),
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        fail(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (priority === 'control') this.waiting.unshift(waiter);
      else this.waiting.push(waiter);
    });
    // Someone idle (the SFTP session) may give its slot back for queued work.
    if (priority === 'normal') for (const reclaim of this.reclaimers) reclaim();
    return promise;
  }

  /** Called when work queues: an idle holder should release its slot. Returns an unregister function. */
  addReclaimer(reclaim: () => void): () => void {
    this.reclaimers.add(reclaim);
    return () => this.reclaimers.delete(reclaim);
  }

  private canGrant(priority: ChannelPriority): boolean {
    return this.active < (priority === 'control' ? this.total : this.normal);
  }

  private grant(): Release {
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && this.canGrant(this.waiting[0]!.priority)) {
      this.waiting.shift()!.grant(this.grant());
    }
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted while waiting for a free SSH channel');
}
