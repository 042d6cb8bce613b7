import { compile } from 'json-schema-to-typescript';
import { CONFIG_SCHEMA } from '../../src/config/schema';
import { MESSAGE_KINDS, type MessageKind } from '../../src/contract/messages';
import { MESSAGE_SCHEMAS } from '../../src/contract/schemas';
import { POLICY_SCHEMA } from '../../src/policy/schema';

/** The TypeScript name of each message kind's payload type. */
const MESSAGE_TYPE_NAMES: Readonly<Record<MessageKind, string>> = {
  state: 'StateMessage',
  birth: 'BirthMessage',
  job: 'JobMessage',
  deepen: 'DeepenCommand',
  cancel: 'CancelCommand',
  rollback: 'RollbackCommand',
  rebirth: 'RebirthCommand',
  reply: 'ReplyMessage',
  desired: 'DesiredMessage',
  reported: 'ReportedMessage',
  telemetry: 'TelemetryMessage',
  rollout: 'RolloutMessage',
  'rollout-control': 'RolloutControl',
};

/** A file of types compiled from JSON Schemas: the one source of each type is its schema. */
export interface GeneratedTypes {
  /** Relative to the repository root. */
  file: string;
  /** What the schemas are, for the banner. */
  from: string;
  types: { name: string; schema: object }[];
}

export const GENERATED_TYPES: readonly GeneratedTypes[] = [
  {
    file: 'src/contract/generated-types.ts',
    from: 'src/contract/schemas/*.schema.json',
    types: MESSAGE_KINDS.map((kind) => ({ name: MESSAGE_TYPE_NAMES[kind], schema: MESSAGE_SCHEMAS[kind] })),
  },
  {
    file: 'src/policy/generated-types.ts',
    from: 'POLICY_SCHEMA in src/policy/schema.ts',
    types: [{ name: 'PolicyFile', schema: POLICY_SCHEMA }],
  },
  {
    file: 'src/config/generated-types.ts',
    from: 'CONFIG_SCHEMA in src/config/schema.ts',
    types: [{ name: 'ConfigFile', schema: CONFIG_SCHEMA }],
  },
];

/** The source of one generated file. Each schema's title and $id are left out, so the given name is the type's. */
export async function generatedTypesSource(g: GeneratedTypes): Promise<string> {
  const parts: string[] = [];
  for (const { name, schema } of g.types) {
    const { title: _title, $id: _id, ...bare } = structuredClone(schema) as Record<string, unknown>;
    parts.push(
      await compile(bare, name, {
        bannerComment: '',
        additionalProperties: false,
        unreachableDefinitions: false,
        ignoreMinAndMaxItems: true,
        format: true,
        style: { singleQuote: true, printWidth: 120, trailingComma: 'all' },
      }),
    );
  }
  const banner = `// Generated from ${g.from} by \`npm run gen:types\`: do not edit.
// The schema is the one source; test/schema-types.test.ts fails when this file is stale.
`;
  return `${banner}\n${parts.join('\n').trimEnd()}\n`;
}
