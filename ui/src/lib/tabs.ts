// Keyboard use of a tab list (the WAI-ARIA tabs pattern), shared by the instance page
// and Settings: ←/→ move to the previous/next tab and wrap around, Home/End jump.

/** The index of the tab `key` moves to from `current`, or null if `key` does not move. */
export function tabIndexAfterKey(key: string, current: number, count: number): number | null {
  const moves: Record<string, number> = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: count - 1 };
  if (!Object.hasOwn(moves, key)) return null;
  return ((moves[key] as number) + count) % count;
}
