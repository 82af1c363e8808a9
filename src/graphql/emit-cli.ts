import { writeFileSync } from 'node:fs';
import { printSchemaSdl, SCHEMA_FILE } from './schema.js';

// npm run schema:emit — regenerates schema/schema.graphql from the resolvers.
writeFileSync(SCHEMA_FILE, await printSchemaSdl());
console.log(`wrote ${SCHEMA_FILE}`);
