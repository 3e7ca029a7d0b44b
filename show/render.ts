// procns show's drawing: a Picture (show/model.ts) as one self-contained HTML file: inline SVG,
// CSS and a few lines of script, nothing fetched. Time runs left to right, a column per step
// (0: boot); a lane per task, then a bar per namespace with a row per holder beneath it; the
// step table beside it. Every mark has a text label or a <title>, and each holder kind a
// letter, so the picture reads without colour. The same Picture gives the same bytes.
import { Bar, HOLDER_KINDS, HolderKind, Lane, Picture } from './model';
import type { TaskState } from '../kernel/task';

const LABEL = 250;
const HEAD = 34;
const LANE = 38;
const BAR = 20;
const HOLDER = 15;
const GAP = 10;

/** Each holder kind's colour (its letter and text are in HOLDER_KINDS). */
const HOLDER_COLOUR: Record<HolderKind, string> = {
  nsproxy: '#3a6fb0', fd: '#2e8b3e', mount: '#8a55c0', dentry: '#e08a1e', inode: '#8c5a3c',
  pid: '#6f6f6f', cred: '#1aa3b8', parent: '#a0a020', inflight: '#d0489a', other: '#000000',
};
const STATE_COLOUR: Record<TaskState, string> = { running: '#5aa35a', exiting: '#e6b23a', zombie: '#b9b9b9', dead: '#555555' };

const esc = (v: unknown): string => String(v).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The columns: a step each, wider when there are few (18 to 44 px), so a short run reads as well as a long one. */
interface Grid {
  col: number;
  x(step: number): number;
}

function gridFor(last: number): Grid {
  const col = Math.max(18, Math.min(44, Math.floor(760 / (last + 1))));
  return { col, x: (step) => LABEL + step * col };
}

function rect(cls: string, attrs: Record<string, string | number>, x0: number, y: number, w: number, h: number, fill: string, title: string, extra = ''): string {
  const a = Object.entries(attrs).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  return `<rect class="${cls}"${a} x="${x0}" y="${y}" width="${w}" height="${h}" fill="${fill}"${extra}><title>${esc(title)}</title></rect>`;
}

function text(x0: number, y: number, s: string, cls = '', anchor = 'start'): string {
  return `<text x="${x0}" y="${y}"${cls ? ` class="${cls}"` : ''}${anchor !== 'start' ? ` text-anchor="${anchor}"` : ''}>${esc(s)}</text>`;
}

/** A label cut to fit its column (the whole text is in the row's <title>). */
const fit = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** "steps 3-7" or "step 3". */
const stepsText = (from: number, to: number): string => (from === to ? `step ${from}` : `steps ${from}-${to}`);

function laneSvg(g: Grid, l: Lane, y: number, last: number): string {
  const out = [`<g class="lane" data-task="${esc(l.name)}" data-pid="${l.pid}">`, text(8, y + 21, fit(l.name === `pid ${l.pid}` ? l.name : `${l.name} · pid ${l.pid}`, 33), 'label')];
  for (const s of l.spans) {
    const w = (s.to - s.from + 1) * g.col - 2;
    const dash = s.state === 'zombie' ? ' stroke="#555" stroke-dasharray="3 2"' : '';
    out.push(rect('state', { task: l.name, state: s.state, from: s.from, to: s.to }, g.x(s.from) + 1, y + 12, w, 12, STATE_COLOUR[s.state], `${l.name}: ${s.state}, ${stepsText(s.from, s.to)}`, dash));
    if (w >= 50) out.push(text(g.x(s.from) + 4, y + 22, s.state, s.state === 'zombie' || s.state === 'exiting' ? 'in dark' : 'in'));
  }
  for (const c of l.calls) {
    const w = (c.to - c.from + 1) * g.col - 2;
    out.push(rect('call', { task: l.name, from: c.from, to: c.to }, g.x(c.from) + 1, y + 26, w, 10, HOLDER_COLOUR.inflight,
      `${l.name}: ${c.call} in flight, ${stepsText(c.from, c.to)} (other tasks' syscalls complete meanwhile)`));
    out.push(text(g.x(c.from) + 3, y + 34, fit(c.call, Math.max(1, Math.floor(w / 5))), 'calltext'));
  }
  if (l.reaped !== null && l.reaped <= last) {
    out.push(`<g class="reaped" data-step="${l.reaped}"><title>${esc(`${l.name} reaped at step ${l.reaped}`)}</title>${text(g.x(l.reaped) + 3, y + 22, '✕ reaped', 'mark')}</g>`);
  }
  for (const m of l.moves) {
    const what = m.step === l.born ? `${l.name} starts in ${m.ns.join(', ') || 'no namespaces'}` : `step ${m.step}: ${l.name} now in ${m.ns.join(', ') || 'no namespaces (nsproxy NULL)'}`;
    out.push(`<g class="move" data-step="${m.step}"><title>${esc(what)}</title><path d="M${g.x(m.step) + 2} ${y + 12} l4 -4 l4 4 z" fill="#222"/>${m.step === l.born ? '' : text(g.x(m.step) + 9, y + 9, m.changed.join(' '), 'small')}</g>`);
  }
  out.push('</g>');
  return out.join('');
}

/** Holder rows for a bar: one per holder (same kind and label), its spans in it. */
function holderRows(b: Bar): { kind: HolderKind; label: string; spans: { from: number; to: number }[] }[] {
  const rows: { kind: HolderKind; label: string; spans: { from: number; to: number }[] }[] = [];
  for (const h of b.holders) {
    let row = rows.find((r) => r.kind === h.kind && r.label === h.label);
    if (!row) rows.push((row = { kind: h.kind, label: h.label, spans: [] }));
    row.spans.push({ from: h.from, to: h.to });
  }
  return rows;
}

function barSvg(g: Grid, b: Bar, y: number, last: number): { svg: string; height: number } {
  const name = `${b.id}${b.names.length ? ` = ${b.names.join(', ')}` : ''}`;
  const end = b.died === null ? last : b.died - 1;
  const out = [`<g class="bar" data-ns="${esc(b.id)}" data-type="${esc(b.type)}" data-born="${b.born}" data-died="${b.died ?? ''}">`, text(8, y + 15, fit(name, 33), 'label ns')];
  const life = `${b.id} (${b.type}${b.names.length ? `, saved as ${b.names.join(', ')}` : ''}): created ${b.born === 0 ? 'at boot' : `at step ${b.born}`}, ${b.died === null ? 'alive at the end' : `freed at step ${b.died}`}`;
  if (end >= b.born) out.push(rect('life', { ns: b.id, from: b.born, to: end }, g.x(b.born) + 1, y + 4, (end - b.born + 1) * g.col - 2, BAR - 6, '#2b3a55', life));
  for (const u of b.unheld) {
    out.push(rect('unheld', { ns: b.id, from: u.from, to: u.to }, g.x(u.from) + 1, y + 4, (u.to - u.from + 1) * g.col - 2, BAR - 6, 'url(#hatch)', `${b.id} is alive with no holder, ${stepsText(u.from, u.to)}`));
    out.push(text(g.x(u.from) + 3, y + 15, 'no holder', 'warn'));
  }
  for (const o of b.seen ?? []) {
    const cx = g.x(o.step) + g.col / 2;
    out.push(`<g class="seen" data-ns="${esc(b.id)}" data-step="${o.step}" data-value="${o.value}" data-agrees="${o.agrees}"><title>${esc(`step ${o.step}, the trace: ${o.what}`)}</title>`
      + `<circle cx="${cx}" cy="${y + 10}" r="5" fill="${o.value ? '#111' : '#fff'}" stroke="${o.agrees ? '#111' : '#d00'}" stroke-width="${o.agrees ? 1.5 : 3}"/>`
      + `${o.agrees ? '' : text(cx + 8, y + 14, o.value ? 'trace: yes' : 'trace: no', 'warn halo')}</g>`);
  }
  if (b.died !== null) out.push(`<g class="freed" data-step="${b.died}"><title>${esc(`${b.id} freed at step ${b.died}`)}</title>${text(g.x(b.died) + 3, y + 15, '✕ freed', 'mark')}</g>`);
  let h = BAR;
  for (const row of holderRows(b)) {
    const k = HOLDER_KINDS[row.kind];
    const colour = HOLDER_COLOUR[row.kind];
    const ry = y + h;
    out.push(`<g class="holder-row" data-kind="${row.kind}" data-label="${esc(row.label)}"><title>${esc(`${row.label} (${row.kind}: ${k.text})`)}</title>`);
    out.push(text(20, ry + 11, fit(`${k.letter} ${row.label}`, 38), 'hlabel'));
    for (const s of row.spans) {
      const w = (s.to - s.from + 1) * g.col - 2;
      out.push(rect('holder', { ns: b.id, kind: row.kind, label: row.label, from: s.from, to: s.to }, g.x(s.from) + 1, ry + 2, w, HOLDER - 4, colour,
        `${b.id} held by ${row.label} (${row.kind}: ${k.text}), ${stepsText(s.from, s.to)}`));
      out.push(text(g.x(s.from) + 4, ry + 11, k.letter, 'letter'));
    }
    out.push('</g>');
    h += HOLDER;
  }
  out.push('</g>');
  return { svg: out.join(''), height: h + GAP };
}

function timelineSvg(p: Picture): string {
  const g = gridFor(p.last);
  const cols = p.last + 1;
  const width = g.x(cols) + 90; // room for a last "✕ freed"
  const body: string[] = [];
  let y = HEAD;
  body.push(text(8, y + 14, 'tasks', 'section'));
  y += 20;
  for (const l of p.lanes) {
    body.push(laneSvg(g, l, y, p.last));
    y += LANE;
  }
  y += GAP;
  body.push(text(8, y + 14, 'namespaces and their holders', 'section'));
  y += 20;
  for (const b of p.bars) {
    const r = barSvg(g, b, y, p.last);
    body.push(r.svg);
    y += r.height;
  }
  const height = y + 8;
  const grid: string[] = [];
  for (let s = 0; s < cols; s++) {
    grid.push(`<rect class="col" data-step="${s}" x="${g.x(s)}" y="0" width="${g.col}" height="${height}"${s % 2 ? ' fill="#f3f4f7"' : ' fill="#ffffff"'}/>`);
    grid.push(text(g.x(s) + g.col / 2, 14, s === 0 ? 'boot' : String(s), s === 0 ? 'stepno boot' : 'stepno', 'middle'));
  }
  const hl = p.highlight;
  if (hl && hl.step <= p.last) {
    grid.push(rect('highlight', { step: hl.step, kind: hl.kind }, g.x(hl.step), 0, g.col, height, '#f7c7c7', hl.text));
    grid.push(text(g.x(hl.step) + g.col / 2, 28, '✗', 'fail', 'middle'));
  }
  const defs = '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3b0b0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c00" stroke-width="3"/></pattern></defs>';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`timeline of ${p.title}`)}">${defs}<g class="grid">${grid.join('')}</g>${text(8, 14, 'step', 'stepno')}${body.join('')}</svg>`;
}

function legendHtml(p: Picture): string {
  const used = new Set(p.bars.flatMap((b) => b.holders.map((h) => h.kind)));
  if (p.lanes.some((l) => l.calls.length)) used.add('inflight');
  const item = (swatch: string, name: string, what: string, cls = ''): string => `<li${cls}>${swatch} <b>${esc(name)}</b> <span class="what">${esc(what)}</span></li>`;
  const sw = (colour: string, letter = '', cls = 'swatch'): string => `<span class="${cls}" style="background:${colour}">${letter}</span>`;
  const kinds = (Object.keys(HOLDER_KINDS) as HolderKind[]).map((k) => item(sw(HOLDER_COLOUR[k], HOLDER_KINDS[k].letter), k, HOLDER_KINDS[k].text, ` data-kind="${k}" class="${used.has(k) ? 'used' : 'unused'}"`));
  const states = Object.entries(STATE_COLOUR).map(([s, c]) => item(sw(c), s, ''));
  const hl = p.what === 'trace' ? 'the first divergence' : p.what === 'replay' ? 'the failing step' : 'the first step off its expectation';
  return `<div class="legend"><ul><li class="head">holders (a row each, under its namespace):</li>${kinds.join('')}</ul>`
    + `<ul><li class="head">tasks:</li>${states.join('')}${item(sw(HOLDER_COLOUR.inflight), 'syscall in flight', 'while others complete')}${item('◆', 'namespaces change', 'the new ones named above the lane')}${item('✕', 'reaped', 'gone from the task list')}`
    + `<li class="head">namespaces:</li>${item(sw('#2b3a55'), 'alive', 'created → freed')}${item('<span class="swatch hatch"></span>', 'no holder', 'alive, nothing holds it (a leak)')}${item('✕', 'freed', '')}${item(sw('#f7c7c7', '✗'), 'marked', hl)}`
    + (p.what === 'trace' ? `${item('●', 'the trace: true', '(@alive, @same)')}${item('○', 'the trace: false', '')}${item('<span style="color:#d00">◯</span>', 'red', 'not what the model allows')}` : '')
    + '</ul></div>';
}

function tableHtml(p: Picture): string {
  const trace = p.what === 'trace';
  const head = trace
    ? '<tr><th rowspan="2">step</th><th rowspan="2">task</th><th rowspan="2">op</th><th rowspan="2">args</th><th colspan="2">model</th><th colspan="2">trace</th><th rowspan="2">what changed (model)</th></tr><tr><th>result</th><th>observations</th><th>result</th><th>observations</th></tr>'
    : '<tr><th>step</th><th>task</th><th>op</th><th>args</th><th>result</th><th>observations</th><th>what changed</th></tr>';
  const rows = p.steps.map((s) => {
    const fail = p.highlight?.step === s.step;
    const cells = [String(s.step) + (fail ? ' ✗' : ''), s.task, s.op, s.args, s.result, s.obs + (s.oops ? `${s.obs ? ' ' : ''}oops: ${s.oops}` : '')];
    if (s.trace) cells.push(s.trace.result, s.trace.obs);
    const tds = cells.map((c, i) => `<td${i === 5 && s.oops ? ' class="oops"' : ''}>${esc(c)}</td>`).join('');
    const changes = `<td class="changes">${s.changes.map((c) => `<div>${esc(c)}</div>`).join('')}</td>`;
    return `<tr data-step="${s.step}"${fail ? ' class="fail"' : ''}>${tds}${changes}</tr>`;
  });
  return `<table class="steps"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `
body{font:13px/1.35 system-ui,-apple-system,"DejaVu Sans",sans-serif;color:#1b1f24;margin:16px;background:#fff}
h1{font-size:18px;margin:0 0 4px}h3{font-size:13px;margin:8px 0 2px}
.notes{margin:4px 0 8px;color:#333}.notes p{margin:2px 0}
.verdict{padding:6px 10px;border-left:5px solid #c22;background:#fbe9e9;margin:6px 0;font-weight:600}
.verdict.none{border-color:#3a3;background:#eaf6ea}
.main{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.main>svg{flex:none}.main>.table{flex:1 1 560px;min-width:560px}
.timeline text{font:11px "DejaVu Sans Mono",monospace;fill:#1b1f24}
.timeline .section{font:bold 12px system-ui,"DejaVu Sans",sans-serif}
.timeline .label{font-weight:bold}.timeline .stepno{fill:#555;font-size:10px}
.timeline .in{fill:#fff;font-size:10px}.timeline .in.dark{fill:#222}.timeline .letter{fill:#fff;font-size:9px;font-weight:bold}
.timeline .calltext{fill:#fff;font-size:8px}.timeline .hlabel{font-size:10px}.timeline .small{font-size:9px;fill:#333}
.timeline .mark{font-size:10px;font-weight:bold}.timeline .warn{font-size:10px;font-weight:bold;fill:#900}
.timeline .halo{stroke:#fff;stroke-width:3px;paint-order:stroke}.timeline .fail{fill:#c00;font-weight:bold;font-size:13px}
.timeline rect.col.hot{fill:#dde7f7}
.legend ul{list-style:none;padding:0;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px}
.legend li.head{font-weight:bold}.legend li.unused{color:#999}.legend .what{color:#555}.legend li.unused .what{color:#aaa}
.swatch{display:inline-block;min-width:14px;height:12px;color:#fff;font:bold 9px monospace;text-align:center;vertical-align:middle;border-radius:2px}
.swatch.hatch{background:repeating-linear-gradient(45deg,#c00 0 2px,#f3b0b0 2px 5px)}
table.steps{border-collapse:collapse;font:11px "DejaVu Sans Mono",monospace}
table.steps th{background:#e9ecf1;text-align:left;padding:2px 5px;border:1px solid #ccd}
table.steps td{padding:1px 4px;border:1px solid #dde;vertical-align:top;max-width:300px;overflow-wrap:anywhere}
table.steps tr.fail td{background:#f7c7c7;font-weight:bold}table.steps tr.hot td{background:#dde7f7}
table.steps td.oops{color:#900}table.steps td.changes{color:#333;font-size:10px}
`;

/** Hovering a step's column or its table row lights both. */
const SCRIPT = `
(function(){
  var els=document.querySelectorAll('rect.col[data-step],table.steps tr[data-step]');
  function light(step,on){document.querySelectorAll('rect.col[data-step="'+step+'"],table.steps tr[data-step="'+step+'"]').forEach(function(e){e.classList.toggle('hot',on);});}
  els.forEach(function(e){var s=e.getAttribute('data-step');e.addEventListener('mouseenter',function(){light(s,true);});e.addEventListener('mouseleave',function(){light(s,false);});});
})();
`;

/** The picture as one HTML document. */
export function renderHtml(p: Picture): string {
  const verdict = p.highlight
    ? `<div class="verdict" data-step="${p.highlight.step}">✗ ${esc(p.highlight.text)}</div>`
    : `<div class="verdict none">no failing step: ${p.what === 'trace' ? 'the trace agrees with the model' : p.what === 'replay' ? 'no property failed' : 'every step as expected'}</div>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(`procns show: ${p.title}`)}</title><style>${CSS}</style></head>
<body data-what="${p.what}" data-profile="${esc(p.profile)}">
<h1>${esc(p.title)}</h1>
<div class="notes">${p.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>
${verdict}
${legendHtml(p)}
<div class="main">${timelineSvg(p)}<div class="table">${tableHtml(p)}</div></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
