import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The image smoke test needs a built image and a Docker engine: scripts/test-image.sh runs it
    // (with vitest.image.config.ts); it is not part of `npm test`.
    exclude: ['**/node_modules/**', 'test/integration/docker-image.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
