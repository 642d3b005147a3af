/** `1 blob`, `2 blobs`: counts in messages read right in the singular too. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
