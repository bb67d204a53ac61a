import type { BuildOptions } from 'esbuild';
/** esbuild's options for herald's bundles (bundleOptions.mjs). */
export function bundleOptions(): BuildOptions;
