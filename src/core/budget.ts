/**
 * One byte budget for everything the sandbox keeps, across all namespaces: entries and journal records are charged
 * when kept and released when they go; past the budget the oldest charge anywhere is evicted first. Per-namespace
 * bounds multiply by the number of namespaces; this one does not.
 */
export interface ByteBudget {
  /**
   * Charges `bytes` for something kept; `evict` is how the budget drops it when it is the oldest past the budget
   * (the owner's own removal, which releases the charge). The newest charge is never evicted by its own admission.
   */
  charge(bytes: number, evict: () => void): Charge;
  /** Gives a charge's bytes back (the thing went); releasing twice is harmless. */
  release(charge: Charge): void;
  stats(): { usedBytes: number; maxBytes: number; evicted: number };
}

/** A kept thing's bytes, in the budget's order of age. */
export interface Charge {
  readonly bytes: number;
  /** Released: no longer counted. */
  released: boolean;
  /** Dropped on release, so a released charge waiting in the queue holds nothing of what it counted. */
  evict: (() => void) | undefined;
}

/** A budget of `maxBytes`; `Infinity` counts without ever evicting. */
export function createByteBudget(maxBytes: number): ByteBudget {
  let used = 0;
  let evicted = 0;
  // Oldest first; a released charge stays until the front reaches it or a compaction drops it (no scan per call).
  let queue: Charge[] = [];
  let head = 0;
  let live = 0;
  const release = (charge: Charge) => {
    if (charge.released) return;
    charge.released = true;
    charge.evict = undefined;
    used -= charge.bytes;
    live--;
  };
  const compact = () => {
    if (queue.length - head > 2 * live + 1024) {
      queue = queue.slice(head).filter((c) => !c.released);
      head = 0;
    }
  };
  return {
    charge(bytes, evict) {
      const charge: Charge = { bytes, released: false, evict };
      queue.push(charge);
      used += bytes;
      live++;
      while (used > maxBytes && head < queue.length - 1) {
        const oldest = queue[head++]!;
        if (oldest.released) continue;
        oldest.evict!();
        release(oldest); // in case the owner's removal did not
        evicted++;
      }
      compact();
      return charge;
    },
    release,
    stats: () => ({ usedBytes: used, maxBytes, evicted }),
  };
}
