/**
 * One tap per presentation. PC/SC already reports a held card once; this absorbs what real
 * readers add: a card at the edge of the field drops out and back in (several "cards" in a
 * second), and a shopper who taps twice out of doubt. The same outcome on the same reader
 * within `windowMs` of the last one is the same tap. Pure: time comes in as `nowMs`.
 */
export interface TapDebouncer {
  /** True when this tap is new; false when it repeats the last one on this reader. */
  accept(reader: string, key: string, nowMs: number): boolean;
  /** Forget a reader (it was unplugged). */
  forget(reader: string): void;
}

export function createTapDebouncer(windowMs: number): TapDebouncer {
  const last = new Map<string, { key: string; at: number }>();
  return {
    accept(reader, key, nowMs) {
      const prev = last.get(reader);
      last.set(reader, { key, at: nowMs });
      return !(prev && prev.key === key && nowMs - prev.at < windowMs);
    },
    forget(reader) {
      last.delete(reader);
    },
  };
}
