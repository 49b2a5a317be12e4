export * from './core/types';
export { migrate, applyEdits, treeFrom, diffOf } from './core/migrate';
export { detectLayout } from './core/layout';
