import type { Migration } from 'kysely';
import * as m0001 from './0001-create-storage.ts';
import * as m0002 from './0002-create-changes.ts';
import * as m0004 from './0004-create-incidents.ts';
import * as m0005 from './0005-create-change-reach.ts';

// There is no 0003: databases record each applied migration by name, so renumbering would break them.

/** Every migration, in order. New ones are added here by hand: the list is the schema's history. */
export const migrations: Record<string, Migration> = {
  '0001-create-storage': m0001,
  '0002-create-changes': m0002,
  '0004-create-incidents': m0004,
  '0005-create-change-reach': m0005,
};
