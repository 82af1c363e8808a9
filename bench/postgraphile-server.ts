import http from 'node:http';
import { postgraphile } from 'postgraphile';

// PostGraphile v4 over the bench database, for the comparison in bench/run.ts (not part of Steeple).
const server = http.createServer(
  postgraphile(process.env.DATABASE_URL!, 'public', {
    graphiql: false,
    disableQueryLog: true,
    ignoreRBAC: true,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    retryOnInitFail: false,
    enableQueryBatching: false,
  }),
);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
