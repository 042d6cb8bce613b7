export { openStore, DB_FILE } from './open';
export type { OpenOptions } from './open';
export { StoreError } from './errors';
export * from './job-states';
export type * from './types';
