import { DeependError } from '../util/deepend-error';
/**
 * Every problem with the daemon's state (database file, schema, model
 * directories, refused job transitions) is a StoreError: one line that names
 * the file or the job, so `deepend start` can print it as is.
 */
export class StoreError extends DeependError {
  constructor(where: string, problem: string, hint?: string) {
    super('store', `${where}: ${problem}`, hint === undefined ? {} : { hint });
    this.name = 'StoreError';
  }
}
