/**
 * The Dockerfile builds on any Docker host (issue 14 §5): its default BASE is the official Node.js
 * image for Debian bookworm (slim), every stage is FROM that BASE, and the offline build
 * (scripts/build-image.sh) overrides it with a base assembled in the same layout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const buildImage = readFileSync(join(root, 'scripts/build-image.sh'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

describe('Dockerfile', () => {
  it('defaults BASE to the official node:<major>-bookworm-slim, a major the package supports', () => {
    const args = [...dockerfile.matchAll(/^ARG BASE=(\S+)$/gm)].map((m) => m[1]);
    expect(args).toHaveLength(1);
    const m = /^node:(\d+)-bookworm-slim$/.exec(args[0]);
    expect(m, args[0]).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(Number(/>=(\d+)/.exec(pkg.engines.node)![1]));
    // Both stages start from BASE; nothing else is pulled.
    expect(dockerfile.match(/^FROM .*$/gm)).toEqual([
      expect.stringMatching(/^FROM \$\{BASE\} AS build$/),
      expect.stringMatching(/^FROM \$\{BASE\}$/),
    ]);
  });

  it('installs iproute2 only where the base lacks it (the official image has no `ip`)', () => {
    expect(dockerfile).toMatch(
      /if ! command -v ip >\/dev\/null; then\s*\\\s*apt-get update && apt-get install -y --no-install-recommends iproute2/,
    );
  });

  it('build-image.sh passes its local base, assembled in the official layout, as BASE', () => {
    expect(buildImage).toMatch(/^LOCAL_BASE=rackbgp-base:node-bookworm-slim$/m);
    expect(buildImage).toContain('docker build --build-arg "BASE=$BASE"');
    expect(buildImage).toContain('"$ROOTFS/usr/local/bin/node"');
    expect(buildImage).toContain('useradd --uid 1000 --gid node');
  });
});
