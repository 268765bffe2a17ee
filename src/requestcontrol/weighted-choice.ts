/** Weighted random choice (weights all zero -> uniform), as InferenceModel targetModels and rewrites use it. */
export function weightedChoice<T extends { weight: number }>(items: readonly T[], random: () => number): T | undefined {
  if (items.length <= 1) return items[0];
  let total = 0;
  for (const it of items) total += it.weight > 0 ? it.weight : 0;
  if (total <= 0) return items[Math.floor(random() * items.length)];
  let r = random() * total;
  for (const it of items) {
    r -= it.weight > 0 ? it.weight : 0;
    if (r < 0) return it;
  }
  return items[items.length - 1];
}
