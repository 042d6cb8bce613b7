import { resolve } from 'node:path';

/** models/default in the installed package (this file runs from dist/src/daemon/): imported as v1 on first start. */
export const SHIPPED_MODEL_DIR = resolve(__dirname, '../../../models/default');
