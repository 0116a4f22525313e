/**
 * Store-local day, month and hour of the week of an instant, fast: the ingest asks for every
 * event, and Intl is slow, so the UTC offset is looked up once per UTC hour and cached.
 */
const MIN = 60_000;
const HOUR = 3_600_000;
const QUARTER = 900_000;

export interface LocalStamp {
  /** YYYY-MM-DD */
  day: string;
  /** YYYY-MM */
  month: string;
  /** 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00. */
  hourOfWeek: number;
}

export function localClock(timeZone: string) {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const offsets = new Map<number, number>();
  function offsetMs(ms: number): number {
    const h = Math.floor(ms / HOUR);
    let o = offsets.get(h);
    if (o === undefined) {
      const p = Object.fromEntries(fmt.formatToParts(new Date(h * HOUR)).map((x) => [x.type, x.value]));
      const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
      o = Math.round((asUtc - h * HOUR) / MIN) * MIN;
      if (offsets.size > 100_000) offsets.clear();
      offsets.set(h, o);
    }
    return o;
  }
  // Stamps per quarter hour (every zone's offset is a whole number of them): the ingest asks
  // for thousands of events in the same quarter, and formatting a date is the costly part.
  const stamps = new Map<number, LocalStamp>();
  return {
    stamp(ms: number): LocalStamp {
      const q = Math.floor(ms / QUARTER);
      let s = stamps.get(q);
      if (s === undefined) {
        const o = offsetMs(ms);
        const d = new Date(ms + o);
        const day = d.toISOString().slice(0, 10);
        const weekday = (d.getUTCDay() + 6) % 7;
        s = { day, month: day.slice(0, 7), hourOfWeek: weekday * 24 + d.getUTCHours() };
        // A historical offset of odd minutes moves the local hour inside the quarter: not cached.
        if (o % QUARTER !== 0) return s;
        if (stamps.size > 100_000) stamps.clear();
        stamps.set(q, s);
      }
      return s;
    },
    /** The local day `n` days after `day` (calendar arithmetic). */
    addDays(day: string, n: number): string {
      return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    },
  };
}
export type LocalClock = ReturnType<typeof localClock>;
