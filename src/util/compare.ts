/** Orders strings by UTF-16 code unit, the same on every machine and locale (Array.prototype.sort's default, as a comparator). */
export function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
