/**
 * Sets `key` as the newest entry of `map`, first dropping the oldest entries (a Map
 * iterates in insertion order) so that it holds at most `maxEntries`. With 0 it keeps nothing.
 */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  if (maxEntries <= 0) return;
  map.delete(key);
  while (map.size >= maxEntries) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
