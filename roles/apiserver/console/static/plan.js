// The plan tab: a query's plan as a tree of operators.
import { request, el, clear, setStatus } from './api.js';
import * as prefixes from './prefixes.js';
import { runAkutan, show as showResults } from './query.js';

const $ = (id) => document.getElementById(id);

// parseStats reads a trailing "[est rows 2, cost 169 | rows 3, rpcs 0,
// lookups 0, time 2.41ms]" (an analysis) or "[rows 2, cost 169]" (a plan,
// estimates only).
function parseStats(s) {
  const parts = s.split('|');
  const kv = (part) => {
    const out = {};
    for (const item of part.split(',')) {
      const m = /^\s*([a-z ]*[a-z])\s+(\S+)\s*$/i.exec(item);
      if (m) out[m[1].trim()] = m[2];
    }
    return out;
  };
  const est = kv(parts[0]);
  const stats = { estRows: est['est rows'] ?? est['rows'], cost: est['cost'] };
  if (parts.length > 1) {
    const act = kv(parts[1]);
    Object.assign(stats, { rows: act['rows'], rpcs: act['rpcs'], lookups: act['lookups'], time: act['time'] });
  }
  return stats;
}

// parse turns indented plan text into a forest of {label, stats, children}.
export function parse(text) {
  const roots = [];
  const stack = []; // [indent, node]
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    let label = line.trim(), stats = null;
    const m = /^(.*?)\s*\[([^\[\]]*(?:rows|cost)[^\[\]]*)\]\s*$/.exec(label);
    if (m) { label = m[1]; stats = parseStats(m[2]); }
    const est = /^(.*?)\s+~(\d+)$/.exec(label); // a SPARQL pattern's estimate
    if (!m && est) { label = est[1]; stats = { estRows: est[2] }; }
    const node = { label, stats, children: [] };
    while (stack.length && stack[stack.length - 1][0] >= indent) stack.pop();
    if (stack.length) stack[stack.length - 1][1].children.push(node); else roots.push(node);
    stack.push([indent, node]);
  }
  return roots;
}

function seconds(t) {
  const m = /^([\d.]+)(ns|µs|us|ms|s|m|h)?$/.exec(t || '');
  if (!m) return 0;
  return Number(m[1]) * ({ ns: 1e-9, 'µs': 1e-6, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2] || 's']);
}

function maxTime(nodes) {
  let max = 0;
  for (const n of nodes) max = Math.max(max, seconds(n.stats && n.stats.time), maxTime(n.children));
  return max;
}

function drawNode(n, max) {
  const op = (/^[A-Za-z_]\w*/.exec(n.label) || [''])[0]; // a triple pattern has none
  const args = n.label.slice(op.length).trim();
  const s = n.stats;
  const stats = el('span', { class: 'stats' });
  if (s) {
    if (s.estRows !== undefined) stats.append(el('span', { class: 'stat est', title: 'estimated rows' }, `est ${s.estRows}`));
    if (s.rows !== undefined) {
      const est = Number(s.estRows), act = Number(s.rows);
      const off = est >= 0 && act >= 0 && (act > 10 * Math.max(est, 1) || est > 10 * Math.max(act, 1));
      stats.append(el('span', { class: 'stat rows' + (off ? ' off' : ''), title: 'actual rows' }, `rows ${s.rows}`));
    }
    if (s.cost !== undefined) stats.append(el('span', { class: 'stat cost', title: 'estimated cost' }, `cost ${s.cost}`));
    if (s.rpcs !== undefined) stats.append(el('span', { class: 'stat rpcs', title: 'RPCs to views' }, `rpcs ${s.rpcs}`));
    if (s.lookups !== undefined) stats.append(el('span', { class: 'stat lookups', title: 'lookups' }, `lookups ${s.lookups}`));
    if (s.time !== undefined) stats.append(el('span', { class: 'stat time', title: 'time' }, s.time));
  }
  const bar = el('span', { class: 'timebar' });
  if (max > 0 && s && s.time) bar.style.width = `${Math.round(100 * seconds(s.time) / max)}%`;
  return el('li', { class: 'plan-node' },
    el('div', { class: 'node' }, el('span', { class: 'op' }, op), ' ', el('span', { class: 'args' }, args), stats, max > 0 ? el('span', { class: 'timetrack' }, bar) : null),
    n.children.length ? el('ul', {}, n.children.map((c) => drawNode(c, max))) : null);
}

export function draw(out, text, title) {
  const roots = parse(text);
  const max = maxTime(roots);
  out.append(el('h3', {}, title), el('ul', { class: 'plan-tree' }, roots.map((r) => drawNode(r, max))));
}

// explain shows the plan of q ({lang, text}); in the Akutan language it
// also runs the query, for actual rows, RPCs and time.
export async function explain(q) {
  const status = $('plan-status');
  const out = clear($('plan-out'));
  if (!q.text.trim()) { setStatus(status, 'no query in the editor', 'error'); return; }
  setStatus(status, 'explaining…', 'busy');
  const t0 = performance.now();
  try {
    if (q.lang === 'akutan') {
      const res = await runAkutan(q.text, true);
      res.ms = performance.now() - t0;
      showResults(res);
      if (res.analysis) draw(out, res.analysis, 'Executed plan: estimated and actual rows, RPCs, lookups, time');
      out.append(el('details', { open: !res.analysis }, el('summary', {}, 'Plan as chosen (estimates)'), el('pre', { class: 'plan-text' }, res.plan || '')));
      setStatus(status, `${res.rows.length} rows · read at log index ${res.index} · ${Math.round(res.ms)} ms`, 'ok');
    } else {
      const params = new URLSearchParams({ query: prefixes.addTo(q.text), explain: 'true' });
      if (q.index) params.set('index', q.index);
      const resp = await request('sparql?' + params.toString(), { headers: { Accept: 'text/plain' } });
      const text = await resp.text();
      draw(out, text, 'SPARQL plan: algebra and basic graph patterns with estimates');
      out.append(el('details', {}, el('summary', {}, 'Plan as text'), el('pre', { class: 'plan-text' }, text)));
      setStatus(status, `planned at log index ${resp.headers.get('Akutan-Log-Index') ?? '?'}`, 'ok');
    }
  } catch (e) {
    setStatus(status, e.message, 'error');
    out.append(el('pre', { class: 'error' }, e.message));
  }
}

export function init({ getQuery }) {
  $('plan-run').addEventListener('click', () => explain(getQuery()));
}
