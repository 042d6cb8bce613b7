import type Database from 'better-sqlite3';

/** What the table modules share: one connection, the home directory and the clock. */
export interface StoreContext {
  db: Database.Database;
  home: string;
  path: string;
  /** ISO 8601 timestamp of "now". */
  now(): string;
  /**
   * Runs `fn` once the write that asked for it is committed: at once outside
   * a transaction, else after the outermost transaction commits (dropped when
   * it rolls back). Errors are reported through `warn`, never thrown: the
   * database row is the truth, what runs here only copies it.
   */
  afterCommit(fn: () => void): void;
  /** Runs what afterCommit queued, when no transaction is open any more. */
  flushAfterCommit(): void;
  warn(msg: string, fields: Record<string, unknown>): void;
  /** A read-only daemon's copy in memory (read-only.ts): nothing is written to the home's files. */
  memoryOnly?: boolean;
}
