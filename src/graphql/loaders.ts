// The loaders live next to their queries (src/modules/<domain>/<domain>.loaders.ts), composed
// per request in src/modules/loaders.ts; this re-export keeps older import paths working.
export { createLoaders, RELATION_CAPS, type LoaderScope, type Loaders } from '../modules/loaders.js';
