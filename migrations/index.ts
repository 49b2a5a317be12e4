import { InitialSchema1763770000000 } from './1763770000000-InitialSchema';

/** Every schema migration, in order. The schema changes only through these. */
export const MIGRATIONS = [InitialSchema1763770000000];
