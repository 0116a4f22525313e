/**
 * Forward-only, numbered migrations. `PRAGMA user_version` holds the number of the last one
 * applied. Never edit a released migration: add the next number.
 */
import { migration001 } from './001-initial';
import { migration002 } from './002-card-details';
import { migrationPresence } from './002-presence';
import { migration004 } from './004-loyalty-program';
import { migration005 } from './005-offers';
import { migration006 } from './006-outbox-indexes';
import { migration007 } from './007-voucher-requests';
import { migration008 } from './008-sale-write-path';
import { migration009 } from './009-sale-commit-pages';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  migration001,
  migration002,
  migrationPresence,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
];

export const LATEST_VERSION = migrations.reduce((v, m) => Math.max(v, m.version), 0);
