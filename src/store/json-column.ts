import { StoreError } from './errors';
import type { JsonObject } from './types';

/** Serialises an object for a JSON column; refuses what would not read back as an object. */
export function toJson(value: unknown, what: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StoreError(what, 'must be a JSON object');
  }
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new StoreError(what, `cannot be stored as JSON (${(err as Error).message})`);
  }
}

export function fromJson(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}

export function fromJsonOrNull(text: string | null): JsonObject | null {
  return text === null ? null : fromJson(text);
}
