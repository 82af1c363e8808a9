import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the test operations: `npm run codegen` after editing test/operations/*.graphql
// or the schema. The schema file is emitted from the code (npm run schema:emit).
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', LocalDate: 'string' },
        avoidOptionals: { field: true, inputValue: false },
      },
    },
  },
};
export default config;
