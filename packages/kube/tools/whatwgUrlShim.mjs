// Stands in for whatwg-url in herald's bundles (bundleOptions.mjs says why): node-fetch reads only `URL`
// from it (`require('whatwg-url').URL`, or the default import's), and only when Node's url module has none.
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
export default { URL, URLSearchParams };
