/** Problems found in the content, each with the file and line an editor should open. */
export interface Problem {
  file: string;
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export class ProblemList {
  readonly items: Problem[] = [];

  error(file: string, line: number, message: string): void {
    this.items.push({ file, line, message, severity: 'error' });
  }

  warn(file: string, line: number, message: string): void {
    this.items.push({ file, line, message, severity: 'warning' });
  }

  get errors(): Problem[] {
    return this.items.filter((p) => p.severity === 'error');
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.severity}: ${p.message}`;
}

/** The content cannot be served: start-up stops with the problems listed. */
export class ContentError extends Error {
  override readonly name = 'ContentError';
}

/** Throws ContentError listing every error, so a process never serves a broken course. */
export function assertNoErrors(problems: ProblemList): void {
  if (problems.errors.length > 0) {
    throw new ContentError(`The content has problems (npm run content:check):\n${problems.errors.map(formatProblem).join('\n')}`);
  }
}
