/**
 * Where a card lands in a column: the issues API orders a column by a fractional `position`, so a
 * move writes one number between its new neighbours. Pure; used by drag and drop and by the
 * keyboard moves of the board.
 */

/** A position strictly between `before` and `after` (either may be missing: the column's ends). */
export function positionBetween(before: number | undefined, after: number | undefined): number {
  if (before !== undefined && after !== undefined) return before + (after - before) / 2;
  if (before !== undefined) return before + 1;
  if (after !== undefined) return after - 1;
  return 1;
}

/**
 * The position for inserting at `index` of `column` (sorted by position), not counting the card
 * being moved (`movingId`), which may already be in the column.
 */
export function positionAt(column: readonly { id: string; position: number }[], index: number, movingId: string): number {
  const others = column.filter((c) => c.id !== movingId);
  const at = Math.max(0, Math.min(index, others.length));
  return positionBetween(others[at - 1]?.position, others[at]?.position);
}
