// Moved to src/core/errors.ts (the error root is part of the shared vocabulary). This
// re-export is kept only for src/sandbox, which H12 moves to packages/sandbox in
// parallel; delete it once nothing imports it.
export * from './core/errors.js';
