/**
 * No cycles between module folders (src/modules/<a> → src/modules/<b> → … → src/modules/<a>).
 *
 * A separate cruise because dependency-cruiser's folder-scope rules cannot say "via module folders
 * only": over the whole tree every module with a resolver is in a folder cycle with src/graphql
 * (resolvers import src/graphql/context, src/graphql/schema imports the resolvers) by design.
 * Cruising only src/modules leaves exactly the module-to-module edges. Run by `npm run lint`:
 *   depcruise src/modules --config .dependency-cruiser-modules.mjs
 *
 * Known violations: --ignore-known only applies to module-scope rules (dependency-cruiser 17.4
 * softens known violations on modules, not folders), so the baseline of folder cycles lives here.
 * KNOWN_CYCLE_EDGES lists, per folder, the folders it depends on inside a cycle when the rule came
 * in (GraphQL object types and field resolvers that point at each other, and access helpers in
 * church.service). A new cycle edge fails lint; after breaking one, delete it from this list.
 */
import base from './.dependency-cruiser.mjs';

const KNOWN_CYCLE_EDGES = {
  auth: ['church'],
  church: ['auth', 'group', 'household', 'member'],
  group: ['auth', 'church', 'member'],
  household: ['auth', 'church', 'member'],
  member: ['auth', 'church', 'group', 'household', 'message'],
  message: ['auth', 'church', 'member'],
};

const folder = (names) => `^src/modules/(${names.join('|')})$`;
const rule = (from, toNot) => ({
  name: 'no-module-folder-cycles',
  severity: 'error',
  comment: 'Module folders never depend on each other in a cycle, directly or through other module folders.',
  scope: 'folder',
  from,
  to: { path: '^src/modules/[^/]+$', circular: true, ...(toNot.length ? { pathNot: folder(toNot) } : {}) },
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...Object.entries(KNOWN_CYCLE_EDGES).map(([name, known]) => rule({ path: folder([name]) }, known)),
    rule({ path: '^src/modules/[^/]+$', pathNot: folder(Object.keys(KNOWN_CYCLE_EDGES)) }, []),
  ],
  options: { ...base.options, includeOnly: '^src/modules/' },
};
