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
