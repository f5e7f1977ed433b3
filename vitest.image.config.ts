import { defineConfig } from 'vitest/config';

/** Only the Docker image smoke test (scripts/test-image.sh). */
export default defineConfig({
  test: {
    include: ['test/integration/docker-image.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
