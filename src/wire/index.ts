/** The pure BGP-4 wire codec: no sockets, timers or logging. */
export * from './attributes/as-path.js';
export type { DecodedAttributes } from './attributes/decode.js';
export {
  attributesLength,
  type EncodedAttributes,
  encodeAttributes,
  encodedOctets,
  writeAttributes,
} from './attributes/encode.js';
export type { MpReach, MpUnreach } from './attributes/mp.js';
export { ATTRIBUTES, attrName } from './attributes/table.js';
export type * from './attributes/types.js';
export * from './capabilities.js';
export * from './constants.js';
export * from './errors.js';
export * from './framer.js';
export * from './json.js';
export * from './message.js';
export * from './negotiate.js';
export * from './nlri.js';
export * from './notification.js';
export * from './open.js';
export * from './pack.js';
export * from './route-refresh.js';
export * from './update.js';
export { Writer } from './writer.js';
