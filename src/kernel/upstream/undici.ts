/**
 * undici's values, re-exported so the transport can load them with a dynamic
 * import of this module: a static import here is how bundlers give a CommonJS
 * package its named exports (a dynamic import of `undici` itself would only
 * have `default` in the ESM bundle).
 */
export { interceptors, Pool, request } from 'undici';
