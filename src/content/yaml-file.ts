/** YAML reading that remembers where each value came from, for messages with file and line. */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ProblemList } from './problems.js';

export interface Located<T = unknown> {
  value: T;
  line: number;
}

export class YamlFile {
  private readonly lines = new LineCounter();
  readonly root: Node | null;

  constructor(
    readonly file: string,
    text: string,
    problems: ProblemList,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    for (const err of doc.errors) {
      const line = err.linePos?.[0]?.line ?? this.lines.linePos(err.pos[0]).line;
      problems.error(file, line, `YAML: ${err.message.split('\n')[0]}`);
    }
    this.root = doc.errors.length > 0 ? null : (doc.contents as Node | null);
  }

  static read(path: string, shownAs: string, problems: ProblemList): YamlFile | null {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return null;
    }
    return new YamlFile(shownAs, text, problems);
  }

  lineOf(node: Node | null | undefined): number {
    const offset = node?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  /** The items of a sequence node, each as a plain object with the line where it starts. */
  items(node: Node | null): Located<Record<string, unknown>>[] {
    if (!isSeq(node)) return [];
    return node.items.map((item) => ({
      value: isMap(item) ? (item.toJSON() as Record<string, unknown>) : {},
      line: this.lineOf(item as Node),
    }));
  }

  /** The line of `key` inside a map node, or of the map itself. */
  keyLine(mapNode: Node | null | undefined, key: string): number {
    if (isMap(mapNode)) {
      const pair = mapNode.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair) return this.lineOf(pair.key as Node);
    }
    return this.lineOf(mapNode);
  }

  seqNode(node: Node | null, index: number): Node | undefined {
    return isSeq(node) ? (node.items[index] as Node | undefined) : undefined;
  }

  toJSON(): unknown {
    return this.root ? (this.root as unknown as { toJSON(): unknown }).toJSON() : undefined;
  }
}
