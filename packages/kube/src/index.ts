export * from './backoff.js';
export * from './limiter.js';
export * from './reflector.js';
