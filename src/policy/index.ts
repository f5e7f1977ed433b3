/**
 * Named import/export policies: config schema, compilation and pure evaluation (issue 4, "Policy";
 * RFC 8212 default). The core compiles `policies:` once per config and evaluates per route.
 */
export * from './compile.js';
export * from './evaluate.js';
export * from './ext-community.js';
export { PrefixSet } from './prefix-set.js';
export { asPathText, type PolicyRoute } from './route.js';
export * from './schema.js';
export * from './values.js';
