import Ajv, { type Options } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { CONFIG_SCHEMA } from '../../src/config/schema';
import { MESSAGE_KINDS } from '../../src/contract/messages';
import { MESSAGE_SCHEMAS } from '../../src/contract/schemas';
import { POLICY_SCHEMA } from '../../src/policy/schema';

/**
 * A file of validators compiled from JSON Schemas ahead of time (ajv's standalone code). Compiling the config's and
 * three message kinds' schemas at run time cost about 250 ms of CPU in every process (each CLI command, each daemon
 * start); loading the compiled code costs about 15.
 */
export interface GeneratedValidators {
  /** Relative to the repository root. */
  file: string;
  from: string;
  /** The ajv options the validators behave by; `verbose` is kept for the parentSchema that explains additionalProperties. */
  options: Options;
  /** Exported name -> schema. */
  validators: Record<string, object>;
}

/** The exported name of a message kind's validator ('rollout-control' -> 'rolloutControl'). */
function messageValidatorName(kind: string): string {
  return kind.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export const GENERATED_VALIDATORS: readonly GeneratedValidators[] = [
  {
    file: 'src/contract/generated-validators.ts',
    from: 'src/contract/schemas/*.schema.json',
    // One error (the first) is all a one-line problem shows; allErrors would only cost time on hostile input.
    options: { strict: true, verbose: true, allErrors: false },
    validators: Object.fromEntries(MESSAGE_KINDS.map((kind) => [messageValidatorName(kind), MESSAGE_SCHEMAS[kind]])),
  },
  {
    file: 'src/policy/generated-validator.ts',
    from: 'POLICY_SCHEMA in src/policy/schema.ts',
    options: { strict: true, verbose: true, allErrors: true },
    validators: { validatePolicy: POLICY_SCHEMA },
  },
  {
    file: 'src/config/generated-validator.ts',
    from: 'CONFIG_SCHEMA in src/config/schema.ts',
    options: { strict: true, verbose: true, allErrors: true },
    validators: { validateConfig: CONFIG_SCHEMA },
  },
];

/** The source of one generated file: TypeScript only by name (@ts-nocheck), so the importer states each type. */
export function generatedValidatorsSource(g: GeneratedValidators): string {
  const ajv = new Ajv({ ...g.options, code: { source: true, esm: true } });
  for (const [name, schema] of Object.entries(g.validators)) ajv.addSchema(schema, name);
  const names = Object.fromEntries(Object.keys(g.validators).map((name) => [name, name]));
  const banner = `// @ts-nocheck
// Generated from ${g.from} by \`npm run gen:types\` (ajv standalone code, ${JSON.stringify(g.options)}): do not edit.
// The schema is the one source; test/schema-types.test.ts fails when this file is stale.
`;
  return `${banner}${standaloneCode(ajv, names)}\n`;
}
