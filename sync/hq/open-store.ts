/** Picks the HQ store by URL: `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:path`, a path or `:memory:` → SQLite. */
import type { HqStore } from './store';
import type { RollupConfig } from './rollups/config';
import { openSqliteHqStore } from './store-sqlite';

/** `rollups`: the insights config the ingest rolls events up with (default: the defaults). */
export async function openHqStore(url: string, opts: { rollups?: RollupConfig } = {}): Promise<HqStore> {
  let store: HqStore;
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPgHqStore } = await import('./store-pg'); // pg loads only when asked for
    store = openPgHqStore(url, opts.rollups ? { rollups: opts.rollups } : {});
  } else {
    store = openSqliteHqStore(url.replace(/^sqlite:/, ''), opts.rollups ? { rollups: opts.rollups } : {});
  }
  await store.migrate();
  return store;
}
