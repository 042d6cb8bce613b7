import { resolve } from 'node:path';

/** policies/default.yaml in the installed package (this file runs from dist/src/policy/). */
export const DEFAULT_POLICY_FILE = resolve(__dirname, '../../../policies/default.yaml');
