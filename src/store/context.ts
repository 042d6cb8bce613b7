import type Database from 'better-sqlite3';

/** What the table modules share: one connection, the home directory and the clock. */
export interface StoreContext {
  db: Database.Database;
  home: string;
  path: string;
  /** ISO 8601 timestamp of "now". */
  now(): string;
}
