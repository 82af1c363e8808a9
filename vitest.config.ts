import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // one graphql module instance: vite would otherwise load graphql's .mjs beside Node's .js
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['reflect-metadata'],
    pool: 'forks',
    // a developer's own .env must not reach the tests (nor the servers they spawn): point the
    // loader at a file that does not exist (a missing file is fine)
    env: {
      STEEPLE_ENV_FILE: '/nonexistent/steeple-tests-read-no-env-file',
      // the servers tests spawn do not build or serve the web app (test/browser.test.ts serves it)
      WEB_APP: 'false',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2 cores: two test files at a time, each on its own database
    maxWorkers: 2,
  },
});
