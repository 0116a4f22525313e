/** The repositories and program a kiosk- or sync-facing service needs (statements prepared once). */
import { createLedgerRepo } from '../../adapters/sqlite/ledger-repo';
import { createMembersRepo } from '../../adapters/sqlite/members-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import type { Clock } from '../../ports/clock';
import { createIdFactory } from '../shared/ids';
import { createLedgerWriter } from './ledger-writer';
import { createProgram, defaultProgram } from './program';

export function createProgramContext(deps: { db: Db; clock: Clock; program?: ProgramConfig | undefined }) {
  const ids = createIdFactory(deps.clock);
  const members = createMembersRepo(deps.db);
  const ledgerRepo = createLedgerRepo(deps.db);
  const outbox = createOutboxWriter(deps.db, { newId: ids });
  const writer = createLedgerWriter({ members, ledger: ledgerRepo, ids });
  const program = createProgram({ db: deps.db, config: deps.program ?? defaultProgram(), ids, members, ledger: ledgerRepo, writer, outbox });
  return { ids, members, ledgerRepo, outbox, writer, program };
}
export type ProgramContext = ReturnType<typeof createProgramContext>;
