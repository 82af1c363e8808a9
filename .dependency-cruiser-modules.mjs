/**
 * No cycles between module folders (src/modules/<a> → src/modules/<b> → … → src/modules/<a>).
 *
 * A separate cruise because dependency-cruiser's folder-scope rules cannot say "via module folders
 * only": over the whole tree every module with a resolver is in a folder cycle with src/graphql
 * (resolvers import src/graphql/context, src/graphql/schema imports the resolvers) by design.
 * Cruising only src/modules leaves exactly the module-to-module edges. Run by `npm run lint`:
 *   depcruise src/modules --config .dependency-cruiser-modules.mjs
 *
 * The folders depend on each other in one direction: church ← auth, household, analytics;
 * household ← member ← group; auth, member ← message ← ops. A field one module resolves on another
 * module's type (Church.members, Member.groups, Member.recentMessages) lives in the module that owns
 * the data, as a @Resolver(() => ThatType) class, so the type never imports its lists.
 * (The seven cycles baselined when the rule came in were broken that way.)
 */
import base from './.dependency-cruiser.mjs';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-module-folder-cycles',
      severity: 'error',
      comment: 'Module folders never depend on each other in a cycle, directly or through other module folders.',
      scope: 'folder',
      from: { path: '^src/modules/[^/]+$' },
      to: { path: '^src/modules/[^/]+$', circular: true },
    },
  ],
  options: { ...base.options, includeOnly: '^src/modules/' },
};
