/**
 * Every bad data input ends in a DataError whose message is one line naming
 * the problem and the path, so the CLI and fleet reports can show it as is.
 */
export class DataError extends Error {
  constructor(where: string, problem: string) {
    super(oneLine(`${where}: ${problem}`));
    this.name = 'DataError';
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function describeList(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, ... (${items.length} in all)` : shown;
}
