/** rackbgp as a library: the pure BGP-4 wire codec. */
export * from './wire/index.js';
