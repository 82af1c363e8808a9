// PostGraphile v4 over the bench database, for the comparison in bench/run.ts (not part of Steeple).
import http from 'node:http';
import postgres from 'postgres';
import PgAggregatesPlugin from '@graphile/pg-aggregates';
import { postgraphile } from 'postgraphile';

// church_roles' table type would collide with the church_role enum's: not exposed
const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
await sql`COMMENT ON TABLE church_roles IS E'@omit'`;
await sql.end();

const server = http.createServer(
  postgraphile(process.env.DATABASE_URL, 'public', {
    graphiql: false,
    disableQueryLog: true,
    ignoreRBAC: true,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    retryOnInitFail: false,
    enableQueryBatching: false,
    // grouped aggregates, as its users add them for dashboards (people by status)
    appendPlugins: [PgAggregatesPlugin.default ?? PgAggregatesPlugin],
  }),
);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
