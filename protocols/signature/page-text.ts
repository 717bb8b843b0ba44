/**
 * Text shown on the signature tablet (domain.md §9.3, *Besedilo za podpisno tablico*):
 *  - a list of member attributes, one per line, e.g. `Spol: %gender%`; a line whose variables are all
 *    empty for this member is not shown, although it stays in the template;
 *  - the member declaration before or after the list;
 *  - a line containing only `<page>` separates pages the member pages through on the tablet;
 *  - a passage wrapped in `<fontsize=nn>` markers before and after it is kept on one page at font size nn.
 *
 * Choices where domain.md is silent:
 *  - markers are case-insensitive and may stand on their own line or inside a line; a marker on its own
 *    line produces no text line;
 *  - a second `<fontsize=…>` closes the open passage (`</fontsize>` is accepted too); if its size differs
 *    from the open one, a new passage with the new size starts;
 *  - a `<page>` inside a sized passage ends the page, and the passage continues on the next page;
 *  - variable names are anything between two `%` on one line (COBISS uses names with spaces such as
 *    `%oddelek knjižnice%`); lookup is exact, then case-insensitive; unknown variables are empty;
 *    `%%` is a literal percent sign;
 *  - blank lines at the start and end of each block are dropped, and so are empty blocks and pages.
 */

export interface TabletTextBlock {
  /** Font size nn from `<fontsize=nn>`; null for text outside markers (the tablet's default size). */
  fontSize: number | null;
  lines: string[];
}

export interface TabletPage {
  blocks: TabletTextBlock[];
}

export type TabletVariables = Readonly<Record<string, string | number | null | undefined>>;

const PAGE_LINE = /^\s*<page>\s*$/i;
const FONT_MARKER = /<fontsize\s*=\s*(\d+)\s*>|<\/fontsize\s*>/gi;
const VARIABLE = /%%|%([^%\r\n]+)%/g;

function lookup(vars: TabletVariables, name: string): string {
  let value = vars[name];
  if (value === undefined) {
    const lower = name.toLowerCase();
    const key = Object.keys(vars).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : vars[key];
  }
  return value === null || value === undefined ? '' : String(value).trim();
}

/**
 * Substitute `%name%` variables in one line. Returns null when the line has variables and all of them
 * are empty (the attribute is not shown).
 */
export function substituteLine(line: string, vars: TabletVariables): string | null {
  let variables = 0;
  let filled = 0;
  const text = line.replace(VARIABLE, (match, name: string | undefined) => {
    if (name === undefined) return '%';
    variables++;
    const value = lookup(vars, name);
    if (value !== '') filled++;
    return value;
  });
  if (variables > 0 && filled === 0) return null;
  return variables > 0 ? text.trimEnd() : text;
}

/** Split the template into pages and font-size blocks, substituting variables. */
export function renderTabletText(template: string, vars: TabletVariables = {}): TabletPage[] {
  const pages: TabletPage[] = [];
  let blocks: TabletTextBlock[] = [];
  let current: TabletTextBlock = { fontSize: null, lines: [] };

  const closeBlock = (nextSize: number | null): void => {
    blocks.push(current);
    current = { fontSize: nextSize, lines: [] };
  };
  const closePage = (): void => {
    const size = current.fontSize;
    closeBlock(size);
    pages.push({ blocks });
    blocks = [];
  };
  const addLine = (raw: string): void => {
    const line = substituteLine(raw, vars);
    if (line !== null) current.lines.push(line);
  };

  for (const line of template.replace(/\r\n?/g, '\n').split('\n')) {
    if (PAGE_LINE.test(line)) {
      closePage();
      continue;
    }
    FONT_MARKER.lastIndex = 0;
    let at = 0;
    let sawMarker = false;
    for (let match = FONT_MARKER.exec(line); match; match = FONT_MARKER.exec(line)) {
      const before = line.slice(at, match.index);
      if (before.trim() !== '') addLine(before.trim());
      at = match.index + match[0].length;
      sawMarker = true;
      const size = match[1] === undefined ? null : Number(match[1]);
      if (current.fontSize === null) {
        // Opening marker (a stray closing marker outside a passage does nothing).
        if (size !== null) closeBlock(size);
      } else if (size === null || size === current.fontSize) {
        closeBlock(null);
      } else {
        closeBlock(size);
      }
    }
    const rest = line.slice(at);
    if (!sawMarker) addLine(rest);
    else if (rest.trim() !== '') addLine(rest.trim());
  }
  closePage();

  const trimBlank = (lines: string[]): string[] => {
    let start = 0;
    let end = lines.length;
    while (start < end && (lines[start] ?? '').trim() === '') start++;
    while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
    return lines.slice(start, end);
  };
  return pages
    .map((p) => ({
      blocks: p.blocks.map((b) => ({ fontSize: b.fontSize, lines: trimBlank(b.lines) })).filter((b) => b.lines.length > 0),
    }))
    .filter((p) => p.blocks.length > 0);
}

/** Plain text of one page (blocks separated by a blank line), e.g. for a preview or a log. */
export function tabletPageText(page: TabletPage): string {
  return page.blocks.map((b) => b.lines.join('\n')).join('\n\n');
}
