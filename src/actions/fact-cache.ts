// The run's fact cache (facts.ts says what a fact is): one per run, one part per host,
// answers keyed by fact name and args. Concurrent asks share one probe; a rejection is
// never remembered (the next ask probes again, with its own context); `change` facts
// are dropped whenever the host is changed (changed(): the action context calls it
// around every exec) or a probe of it goes unanswered, so a stale answer never outlives
// what could make it stale. Pure bookkeeping: no process, no timer.

import type { AnyFact, Fact, FactContext, HostFacts } from '../core/facts.js';

export interface HostFactCache {
  readonly host: string;
  /** The view a context hands its action: probes run with that context. */
  bind(ctx: Omit<FactContext, 'facts'>): HostFacts;
  /** Forget one fact (every args), or with no fact every `change` fact. */
  invalidate(fact?: AnyFact): void;
  /** The host was (or is being) changed, or its state is unknown: drop every `change` fact. */
  changed(): void;
  /** Probes started so far, per fact name (tests, measurement). */
  probeCounts(): Record<string, number>;
}

export interface RunFacts {
  forHost(host: string): HostFactCache;
}

/** One cache for a run: the engine creates it once (action-context.ts does so per RunInfo). */
export function createRunFacts(): RunFacts {
  const hosts = new Map<string, HostFactCache>();
  return {
    forHost(host) {
      let cache = hosts.get(host);
      if (!cache) hosts.set(host, (cache = createHostFactCache(host)));
      return cache;
    },
  };
}

interface Entry {
  fact: AnyFact;
  promise: Promise<unknown>;
}

export function createHostFactCache(host: string): HostFactCache {
  const entries = new Map<string, Entry>();
  const counts: Record<string, number> = {};
  const keyOf = (fact: AnyFact, args: unknown) => `${fact.name}\u0000${fact.key ? fact.key(args) : JSON.stringify(args ?? null)}`;
  const drop = (which: (entry: Entry) => boolean) => {
    for (const [key, entry] of entries) if (which(entry)) entries.delete(key);
  };

  const start = <T, A>(fact: Fact<T, A>, args: A, ctx: FactContext, key: string): Promise<T> => {
    counts[fact.name] = (counts[fact.name] ?? 0) + 1;
    const promise = (async () => fact.probe(ctx, args))();
    const entry: Entry = { fact, promise };
    entries.set(key, entry);
    const forget = () => {
      if (entries.get(key) === entry) entries.delete(key);
    };
    promise.then((value) => (fact.keep && !fact.keep(value) ? forget() : undefined), forget);
    return promise;
  };

  const get = async <T, A>(fact: Fact<T, A>, args: A, ctx: FactContext): Promise<T> => {
    const key = keyOf(fact, args);
    const pending = entries.get(key);
    if (pending) {
      try {
        return (await pending.promise) as T;
      } catch {
        // Another asker's probe failed (perhaps its own step's timeout or interrupt): ask with this context.
        const again = entries.get(key);
        if (again && again !== pending) return (await again.promise) as T;
      }
    }
    return start(fact, args, ctx, key);
  };

  const cache: HostFactCache = {
    host,
    bind(ctx) {
      const facts: HostFacts = {
        get: ((fact: Fact<unknown, unknown>, args?: unknown) => get(fact, args, full)) as HostFacts['get'],
        invalidate: (fact) => cache.invalidate(fact),
      };
      const full: FactContext = { ...ctx, facts };
      return facts;
    },
    invalidate(fact) {
      if (fact) drop((entry) => entry.fact.name === fact.name);
      else cache.changed();
    },
    changed() {
      drop((entry) => entry.fact.lifetime === 'change');
    },
    probeCounts: () => ({ ...counts }),
  };
  return cache;
}
