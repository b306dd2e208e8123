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
