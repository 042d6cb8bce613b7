import { DeependError } from '../util/deepend-error';

/**
 * Every bad data input ends in a DataError whose message is one line naming
 * the problem and the path, so the CLI and fleet reports can show it as is.
 */
export class DataError extends DeependError {
  constructor(where: string, problem: string, hint?: string) {
    super('data', `${where}: ${problem}`, hint === undefined ? {} : { hint });
    this.name = 'DataError';
  }
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function describeList(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, ... (${items.length} in all)` : shown;
}
