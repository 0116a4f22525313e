/**
 * The first thing done with an advert (DESIGN.md §4, §9): is it a consenting member, a
 * configured tag, an anonymous program device, or nothing we may keep? Only the program UUID
 * and configured tags pass; everything else is dropped here, before any log or store.
 */
import type { Subject } from './events';
import { hasUuid, isIBeacon, majorMinor, uuidBytes } from './ibeacon';
import type { TagSpec } from './params';
import type { TokenTable } from './token';

export interface Classifier {
  readonly program: Uint8Array;
  /** Tags using the program UUID: major‖minor → tag id. */
  readonly programTags: ReadonlyMap<number, string>;
  /** Tags with their own UUIDs. */
  readonly otherTags: ReadonlyArray<{ uuid: Uint8Array; byMajorMinor: ReadonlyMap<number, string> }>;
  readonly tokens: TokenTable;
}

export type Classified =
  | { readonly kind: 'member' | 'tag'; readonly subject: Subject }
  /** Program UUID, but the token is unresolved or ambiguous: count, never name. */
  | { readonly kind: 'anonymous'; readonly token: number };

export function createClassifier(o: { programUuid: string; tags: readonly TagSpec[]; tokens: TokenTable }): Classifier {
  const program = uuidBytes(o.programUuid);
  const norm = (u: string) => u.replace(/-/g, '').toLowerCase();
  const programTags = new Map<number, string>();
  const others = new Map<string, Map<number, string>>();
  for (const t of o.tags) {
    const mm = ((t.major << 16) | t.minor) >>> 0;
    if (norm(t.uuid) === norm(o.programUuid)) programTags.set(mm, t.id);
    else {
      const m = others.get(norm(t.uuid)) ?? new Map<number, string>();
      m.set(mm, t.id);
      others.set(norm(t.uuid), m);
    }
  }
  return {
    program,
    programTags,
    otherTags: [...others].map(([u, byMajorMinor]) => ({ uuid: uuidBytes(u), byMajorMinor })),
    tokens: o.tokens,
  };
}

const tagCache = new Map<string, Classified>();
const tagOf = (id: string): Classified => {
  let c = tagCache.get(id);
  if (!c) tagCache.set(id, (c = { kind: 'tag', subject: { kind: 'tag', id } }));
  return c;
};
const memberCache = new WeakMap<object, Classified>();

export function classifyAdvert(c: Classifier, md: Uint8Array, now: number): Classified | null {
  if (!isIBeacon(md)) return null;
  const mm = majorMinor(md);
  if (hasUuid(md, c.program)) {
    const tag = c.programTags.get(mm);
    if (tag !== undefined) return tagOf(tag);
    const r = c.tokens.resolve(mm, now);
    if (r.kind !== 'member') return { kind: 'anonymous', token: mm };
    let m = memberCache.get(r);
    if (!m) memberCache.set(r, (m = { kind: 'member', subject: { kind: 'member', id: r.member } }));
    return m;
  }
  for (const t of c.otherTags) {
    if (!hasUuid(md, t.uuid)) continue;
    const tag = t.byMajorMinor.get(mm);
    return tag === undefined ? null : tagOf(tag);
  }
  return null;
}
