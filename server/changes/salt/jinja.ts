import { JINJA_PLACEHOLDER } from './salt-target.ts';

/**
 * A Jinja-templated SLS or top file read without rendering it: every branch of `if`/`for` is kept
 * (a superset of what any minion renders), `{{ … }}` becomes a placeholder, and what cannot be
 * seen statically is flagged.
 */
export interface StrippedJinja {
  /** The text with tags removed; same line count as the input. */
  text: string;
  hasJinja: boolean;
  /**
   * True when rendering may emit YAML structure that cannot be seen here: `{% include %}`,
   * `{% extends %}`, `{% raw %}`, or a `{{ … }}` standing alone on a line.
   */
  opaque: boolean;
  /** 0-based lines that sit inside `if`/`for`/… blocks, or carry a placeholder. */
  conditionalLines: ReadonlySet<number>;
  /** Template paths named by string literals in include/import/from/extends/import_yaml/… tags. */
  templateRefs: string[];
  /** True when such a tag names its template through an expression. */
  dynamicTemplateRef: boolean;
  /** Every tag, in order: two texts with the same tags have the same Jinja logic. */
  tags: string[];
}

const TAG = /\{#[\s\S]*?#\}|\{%[\s\S]*?%\}|\{\{[\s\S]*?\}\}/g;
const OPENERS = new Set(['if', 'for', 'call', 'filter', 'block', 'with', 'autoescape']);
const CLOSERS = new Set(['endif', 'endfor', 'endcall', 'endfilter', 'endblock', 'endwith', 'endautoescape']);
const REFERENCING = new Set([
  'include',
  'import',
  'from',
  'extends',
  'import_yaml',
  'import_json',
  'import_text',
]);

export function stripJinja(source: string): StrippedJinja {
  const tags: string[] = [];
  const templateRefs: string[] = [];
  const conditionalLines = new Set<number>();
  let dynamicTemplateRef = false;
  let opaque = false;
  let depth = 0;
  // Bodies of macros, `{% set x %}` blocks and `{% raw %}` are not emitted where they stand.
  let hiddenUntil: string | undefined;
  let out = '';
  let line = 0;
  let last = 0;

  const emitText = (text: string): void => {
    if (hiddenUntil === undefined) out += text;
    else out += text.replace(/[^\n]/g, '');
    const newlines = countNewlines(text);
    if (depth > 0) for (let l = line; l <= line + newlines; l++) conditionalLines.add(l);
    line += newlines;
  };

  for (const match of source.matchAll(TAG)) {
    const tag = match[0];
    const start = match.index;
    emitText(source.slice(last, start));
    last = start + tag.length;
    tags.push(tag);
    const keep = tag.replace(/[^\n]/g, '');
    if (tag.startsWith('{#')) {
      out += keep;
      line += keep.length;
      continue;
    }
    if (tag.startsWith('{{')) {
      if (hiddenUntil === undefined) {
        const lineStart = out.lastIndexOf('\n') + 1;
        const rest = source.slice(last, nextNewline(source, last));
        if (out.slice(lineStart).trim() === '' && rest.trim() === '') opaque = true;
        out += JINJA_PLACEHOLDER + keep;
        conditionalLines.add(line);
      }
      line += keep.length;
      continue;
    }
    const keyword = /^\{%[-+]?\s*(\w+)/.exec(tag)?.[1] ?? '';
    if (hiddenUntil !== undefined) {
      if (keyword === hiddenUntil) hiddenUntil = undefined;
    } else if (keyword === 'macro') {
      hiddenUntil = 'endmacro';
    } else if (keyword === 'raw') {
      hiddenUntil = 'endraw';
      opaque = true;
    } else if (keyword === 'set' && !/=/.test(tag)) {
      hiddenUntil = 'endset';
    } else if (OPENERS.has(keyword)) {
      depth++;
      conditionalLines.add(line);
    } else if (CLOSERS.has(keyword)) {
      depth = Math.max(0, depth - 1);
    }
    if (REFERENCING.has(keyword)) {
      const literal = /^\{%[-+]?\s*\w+\s+(['"])([^'"]+)\1/.exec(tag)?.[2];
      if (literal === undefined) dynamicTemplateRef = true;
      else templateRefs.push(literal);
      if (keyword === 'include' || keyword === 'extends') opaque = true;
    }
    out += keep;
    line += keep.length;
  }
  emitText(source.slice(last));
  return {
    text: out,
    hasJinja: tags.length > 0,
    opaque,
    conditionalLines,
    templateRefs,
    dynamicTemplateRef,
    tags,
  };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function nextNewline(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i === -1 ? text.length : i;
}
