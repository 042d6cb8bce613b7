import type { Migration } from './types';
import { initial } from './001_initial';
import { versionHistory } from './002_version_history';
import { depthZero } from './003_depth_zero';

export type { Migration };

/** In order; append only. */
export const MIGRATIONS: readonly Migration[] = [initial, versionHistory, depthZero];
