export * from './result.js';
export * from './ip/address.js';
export * from './ip/addressSyntaxError.js';
export * from './ip/range.js';
export * from './ip/ipSet.js';
export * from './api/v1beta1.js';
