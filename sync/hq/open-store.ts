/** Picks the HQ store by URL: `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:path`, a path or `:memory:` → SQLite. */
import type { HqStore } from './store';
import { openSqliteHqStore } from './store-sqlite';

export async function openHqStore(url: string): Promise<HqStore> {
  let store: HqStore;
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPgHqStore } = await import('./store-pg'); // pg loads only when asked for
    store = openPgHqStore(url);
  } else {
    store = openSqliteHqStore(url.replace(/^sqlite:/, ''));
  }
  await store.migrate();
  return store;
}
