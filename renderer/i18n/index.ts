import { en, type Strings } from './en.js';

/** The strings in use. A translation would pick another object of the same shape here. */
export const t: Strings = en;
export type { Strings };
