/**
 * Layer rules, run by `npm run lint` on src/ and worker/:
 *   depcruise src worker --config .dependency-cruiser.mjs
 * The rule against cycles between module folders lives in .dependency-cruiser-modules.mjs
 * (it must see only src/modules, see there). No violation is tolerated: the baseline of those that
 * existed when the rules came in (services importing the GraphQL Context and enums) is gone.
 */

// what the GraphQL/HTTP entry point owns; the worker must not load any of it
const API_ONLY = [
  '^src/graphql/',
  '^src/http/',
  '(^|/)node_modules/@apollo/',
  '(^|/)node_modules/type-graphql/',
  '(^|/)node_modules/graphql/',
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'api-not-to-worker',
      severity: 'error',
      comment: 'The API (src/) never imports the worker: the worker is a separate process with its own entry point.',
      from: { path: '^src/' },
      to: { path: '^worker/' },
    },
    {
      name: 'api-not-to-twilio',
      severity: 'error',
      comment: 'Only the worker talks to Twilio through its SDK (worker/sms/twilio.ts); the API only verifies webhooks.',
      from: { path: '^src/' },
      to: { path: '(^|/)node_modules/twilio/' },
    },
    {
      name: 'worker-not-to-api',
      severity: 'error',
      comment:
        'The worker never loads src/graphql, src/http, Apollo, type-graphql or graphql, directly or through ' +
        'anything it imports (reachable), so it starts without the GraphQL stack.',
      from: { path: '^worker/' },
      to: { path: API_ONLY, reachable: true },
    },
    {
      name: 'services-not-to-graphql',
      severity: 'error',
      comment: 'Services and queries are the domain floor under every entry point: they never import src/graphql.',
      from: { path: '^src/modules/.+\\.(service|queries)\\.ts$' },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'db-not-to-modules',
      severity: 'error',
      comment: 'src/db is the bottom layer: schema, client and migrations import no module.',
      from: { path: '^src/db/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles between files anywhere in the tree.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the resolver cannot find would hide a dependency from every rule above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // type-only imports are still a dependency between layers
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
