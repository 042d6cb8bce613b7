import type { Migration } from './types';
import { initial } from './001_initial';

export type { Migration };

/** In order; append only. */
export const MIGRATIONS: readonly Migration[] = [initial];
