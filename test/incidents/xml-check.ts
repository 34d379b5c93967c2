/**
 * A tiny XML well-formedness check for the report's SVG: balanced tags, quoted attributes, known entities,
 * no stray `<` or `&`. Returns the problems found, none when the document is well-formed.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const entity = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  const checkText = (text: string) => {
    for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
      if (!entity.test(text.slice(i))) problems.push(`bad entity at "${text.slice(i, i + 12)}"`);
    }
  };
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt === -1 ? xml.slice(i) : xml.slice(i, lt);
    if (text.includes('>')) problems.push(`stray > in "${text.slice(0, 40)}"`);
    checkText(text);
    if (lt === -1) break;
    const gt = xml.indexOf('>', lt);
    if (gt === -1) {
      problems.push('unclosed tag');
      break;
    }
    const tag = xml.slice(lt + 1, gt);
    const m = /^(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)$/.exec(tag);
    if (!m) {
      problems.push(`malformed tag <${tag.slice(0, 60)}>`);
    } else {
      const [, closing, name = '', attrs = '', selfClosing] = m;
      checkText(attrs);
      if (closing) {
        const open = stack.pop();
        if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      } else if (!selfClosing) {
        stack.push(name);
      }
    }
    i = gt + 1;
    if (stack.length === 0 && xml.slice(i).trim() !== '') {
      problems.push('content after the root element');
      break;
    }
  }
  if (stack.length > 0) problems.push(`unclosed <${stack.join('>, <')}>`);
  return problems;
}

/** The `<svg>…</svg>` blocks of a Markdown document. */
export function svgBlocks(markdown: string): string[] {
  return markdown.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

/** The level-2 headings of a full postmortem, in order. */
export const reportSections = [
  '## Summary',
  '## Timeline',
  '## Affected hosts',
  '## What grew',
  '## Suspects',
  '## Alerts',
  '## Charts',
];

/** The document's level-1 and level-2 headings, without what follows a colon. */
export const headingsOf = (markdown: string): string[] =>
  markdown
    .split('\n')
    .filter((l) => /^#{1,2} /.test(l))
    .map((h) => h.replace(/:.*$/, ''));
