/**
 * Suggestions for a misspelt name among the valid ones, for setup errors ("did you mean ...?").
 *
 * A valid name is close when its edit distance (Levenshtein, ignoring case) is small for the name's length,
 * or when every word of the misspelt camelCase name is one of its words (`recordKeys` for
 * `recordMessageKeys`, `tracer` for `tracerProvider`): people drop words more often than they mistype
 * letters. Setup time only; names longer than a sane identifier get no suggestion.
 */
export function closestNames(given: string, valid: readonly string[], max = 2): string[] {
  if (given.length > MAX_NAME_LENGTH) return [];
  const givenWords = wordsOf(given);
  return valid
    .filter((name) => name.length <= MAX_NAME_LENGTH)
    .map((name) => ({ name, distance: editDistance(given.toLowerCase(), name.toLowerCase()) }))
    .filter(({ name, distance }) => distance <= closeEnough(given) || containsWords(name, givenWords))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, max)
    .map(({ name }) => name);
}

const MAX_NAME_LENGTH = 64;

/** About one typo per three letters, and always two (`groupID`, `incomming`). */
function closeEnough(name: string): number {
  return Math.max(2, Math.floor(name.length / 3));
}

/** The lowercase words of a camelCase, snake_case or kebab-case name. */
function wordsOf(name: string): string[] {
  const words: string[] = [];
  let word = '';
  for (const char of name) {
    const upper = char !== char.toLowerCase();
    if (char === '_' || char === '-' || (upper && word !== '')) {
      if (word !== '') words.push(word);
      word = '';
    }
    if (char !== '_' && char !== '-') word += char.toLowerCase();
  }
  if (word !== '') words.push(word);
  return words;
}

function containsWords(name: string, words: readonly string[]): boolean {
  const own = new Set(wordsOf(name));
  return words.length > 0 && words.every((word) => own.has(word));
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
