/**
 * What the admin API answers, as the UI reads it: the server declares the bodies once
 * (src/server/api-types.ts, types only) and the UI imports them from here.
 */
export type * from '../../src/server/api-types.ts';
