// One sentence for a verified rollback, the same in every renderer: what the checks found.

/** "3 undone, 2 found not applied": what the checks found, for a verified rollback. */
export function rollbackSummary(end: { undone?: number; foundReverted?: number; unverified?: string[] }): string {
  const parts = [`${end.undone ?? 0} change(s) undone`, `${end.foundReverted ?? 0} found not applied`];
  if (end.unverified?.length) parts.push(`${end.unverified.length} undone without a check`);
  return `${parts.join(', ')}; every check says reverted`;
}
