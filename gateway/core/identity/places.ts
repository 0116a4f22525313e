/**
 * Readers are bound to places by name pattern (issue 3): a reader whose PC/SC name matches
 * serves a till lane or a kiosk. Patterns are case-insensitive globs over the whole name
 * (`*` any run, `?` one character), e.g. `ACS ACR122U*`, `Virtual PCD 00 01`. The first
 * binding that matches wins, so list specific patterns before general ones.
 */
export type Place = { readonly type: 'lane' | 'kiosk'; readonly id: string };

export interface ReaderBinding {
  readonly match: string;
  /** `lane:<id>` or `kiosk:<id>`. */
  readonly place: string;
}

export function parsePlace(s: string): Place | undefined {
  const m = /^(lane|kiosk):([A-Za-z0-9][A-Za-z0-9_.-]*)$/.exec(s);
  return m ? { type: m[1] as Place['type'], id: m[2]! } : undefined;
}

export function formatPlace(p: Place): string {
  return `${p.type}:${p.id}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function readerMatches(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}

/** The binding for a reader name, if any. */
export function bindingFor(name: string, bindings: readonly ReaderBinding[]): { binding: ReaderBinding; place: Place } | undefined {
  for (const b of bindings) {
    if (!readerMatches(name, b.match)) continue;
    const place = parsePlace(b.place);
    if (place) return { binding: b, place };
  }
  return undefined;
}
