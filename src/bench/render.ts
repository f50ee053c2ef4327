/**
 * Renders report blocks as markdown (report.md, charts as image links) and as one self-contained
 * HTML page (report.html: inline CSS and inline SVG charts, no script, no network), which opens
 * offline in any browser.
 */
import type { Block } from './report-blocks.js';

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h': out.push(`${'#'.repeat(b.level)} ${b.text}`, ''); break;
      case 'p': out.push(b.text, ''); break;
      case 'list': out.push(...b.items.map((i) => `- ${i}`), ''); break;
      case 'links': out.push(...b.items.map((l) => `- [${l.text}](${encodeURI(l.href)})`), ''); break;
      case 'chart': out.push(`![${b.title}](charts/${encodeURI(b.name)}.svg)`, ''); break;
      case 'table':
        out.push(`| ${b.head.map(mdCell).join(' | ')} |`);
        out.push(`|${b.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`);
        for (const r of b.rows) out.push(`| ${r.map(mdCell).join(' | ')} |`);
        out.push('');
        break;
    }
  }
  return out.join('\n');
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Backquoted spans as <code>, everything else escaped. */
function inline(s: string): string {
  return s.split('`').map((part, i) => (i % 2 === 1 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part))).join('');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #1b1b1b; }
h1 { font-size: 1.6em; border-bottom: 2px solid #4c78a8; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: 13px; }
.table-wrap { overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; }
th { background: #f3f5f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
figure { margin: 1em 0 1.5em; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; }
code { background: #f3f5f7; padding: 0 3px; border-radius: 3px; }
`;

export function toHtml(title: string, blocks: readonly Block[], svgs: ReadonlyMap<string, string>): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h': body.push(`<h${b.level}>${inline(b.text)}</h${b.level}>`); break;
      case 'p': body.push(`<p>${inline(b.text)}</p>`); break;
      case 'list': body.push(`<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`); break;
      case 'links': body.push(`<ul>${b.items.map((l) => `<li><a href="${escapeHtml(encodeURI(l.href))}">${escapeHtml(l.text)}</a></li>`).join('')}</ul>`); break;
      case 'chart': {
        const svg = svgs.get(b.name);
        body.push(svg
          ? `<figure class="chart" id="chart-${escapeHtml(b.name)}">${svg}<figcaption><a href="charts/${escapeHtml(encodeURI(b.name))}.svg">charts/${escapeHtml(b.name)}.svg</a></figcaption></figure>`
          : `<p>(chart ${escapeHtml(b.name)} missing)</p>`);
        break;
      }
      case 'table':
        body.push('<div class="table-wrap"><table>', `<thead><tr>${b.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>`);
        for (const r of b.rows) body.push(`<tr>${r.map((c, i) => `<td${b.numeric[i] ? ' class="num"' : ''}>${inline(c)}</td>`).join('')}</tr>`);
        body.push('</tbody></table></div>');
        break;
    }
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
