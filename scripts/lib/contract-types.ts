import { compile } from 'json-schema-to-typescript';
import { MESSAGE_SCHEMAS } from '../../src/contract/schemas';
import { MESSAGE_KINDS, type MessageKind } from '../../src/contract/messages';

/** The TypeScript name of each message kind's payload type. */
export const MESSAGE_TYPE_NAMES: Readonly<Record<MessageKind, string>> = {
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
};

export const GENERATED_TYPES_FILE = 'src/contract/generated-types.ts';

const BANNER = `// Generated from src/contract/schemas/*.schema.json by \`npm run gen:types\`: do not edit.
// The schemas are the contract; test/contract-types.test.ts fails when this file is stale.
`;

/** The payload types of every message kind, compiled from its JSON Schema (the title left out, so the kind's type name is used). */
export async function contractTypesSource(): Promise<string> {
  const parts: string[] = [];
  for (const kind of MESSAGE_KINDS) {
    const { title: _title, $id: _id, ...schema } = structuredClone(MESSAGE_SCHEMAS[kind]) as Record<string, unknown>;
    parts.push(
      await compile(schema, MESSAGE_TYPE_NAMES[kind], {
        bannerComment: '',
        additionalProperties: false,
        unreachableDefinitions: false,
        ignoreMinAndMaxItems: true,
        format: true,
        style: { singleQuote: true, printWidth: 120, trailingComma: 'all' },
      }),
    );
  }
  return `${BANNER}\n${parts.join('\n').trimEnd()}\n`;
}
