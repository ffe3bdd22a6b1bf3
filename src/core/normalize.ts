/** What UTS #39 calls default-ignorable: drawn as nothing (variation selectors, fillers, joiners). */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The comparison key for names and emails that must be unique "the way a person
 * reads them": NFKC-normalized, case-folded, default-ignorable code points dropped
 * (so "❤️ Team" and "❤ Team" are one name), inner white space collapsed, trimmed.
 *
 * Lower-casing can leave a string that NFKC changes again (and the other way round),
 * so the steps repeat until nothing changes: the key of a key is itself, which a
 * property test checks. Store the key, never recompute it at read time: NFKC follows
 * the ICU bundled with Node, and a newer Unicode may map new code points differently.
 */
export function normalizeKey(value: string): string {
  let current = value;
  for (let round = 0; round < 4; round += 1) {
    const next = current.normalize('NFKC').toLowerCase().normalize('NFKC').replace(IGNORABLE, '').replace(/\s+/gu, ' ').trim();
    if (next === current) return next;
    current = next;
  }
  return current;
}
