// Types for eslint.layers.js (a plain ES module, as ESLint loads it), for the test that checks the rules.
import type { Linter } from 'eslint';

export declare const MAY_IMPORT: Readonly<Record<string, readonly string[]>>;
export declare const TYPES_ONLY: Readonly<Record<string, readonly string[]>>;
export declare const layers: Linter.Config;
