import type { CodegenConfig } from '@graphql-codegen/cli';
import { createHash } from 'node:crypto';

// Typed documents: `npm run codegen` after editing test/operations/*.graphql, the app's operations
// (web/src/**/*.ts(x)) or the schema. The schema file is emitted from the code (npm run schema:emit).
const shared = {
  useTypeImports: true,
  enumsAsTypes: true,
  scalars: { DateTime: 'string', LocalDate: 'string' },
  avoidOptionals: { field: true, inputValue: false },
} as const;

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      documents: ['test/operations/**/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: shared,
    },
    // the reference app: typed operations plus the trusted-document manifest the API loads
    // (persisted-documents.json, hash -> text). The hash is the bare hex SHA-256 Apollo's
    // persisted-query extension carries (the preset's own sha256 prefixes "sha256:").
    'web/src/gql/': {
      documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: (text: string) => createHash('sha256').update(text).digest('hex') },
      },
      config: shared,
    },
  },
};
export default config;
