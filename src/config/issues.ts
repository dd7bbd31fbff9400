/** A problem found in a config: its dotted path, what is wrong, and whether it stops the load. */
export interface ConfigIssue {
  readonly level: 'error' | 'warning';
  readonly path: string;
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.level}: ${issue.path || '(root)'}: ${issue.message}`;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid config:\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** The issues with repeats left out (a problem found once per key, like `lure_defaults.upstream`, is reported once), in order. */
export function uniqueIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    // JSON, not a joined string: a `|` in a path or message must not make two issues one
    const id = JSON.stringify([i.level, i.path, i.message]);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** "an openai", "a bedrock": an upstream type with its article, for messages. */
export function aType(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
