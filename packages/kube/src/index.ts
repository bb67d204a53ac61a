export * from './backoff.js';
export * from './limiter.js';
export * from './reflector.js';
export * from './serviceAccountOwner.js';
export * from './keepAliveKubeConfig.js';
export * from './httpEndpoints.js';
export * from './eventBody.js';
