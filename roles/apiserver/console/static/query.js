// The query tab: editor, history, running a query, and the results table.
import { request, el, clear, setStatus } from './api.js';
import { highlight } from './highlight.js';
import * as prefixes from './prefixes.js';

const $ = (id) => document.getElementById(id);
const historyKey = 'akutan.history';
const maxHistory = 50;
const samples = {
  sparql: 'SELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n}\nLIMIT 100\n',
  akutan: 'SELECT ?person ?place WHERE {\n  ?person <born> ?place\n}\n',
};

let result = null; // the last answer, see render
let page = 0;
let pageSize = 100;

export function current() {
  return { lang: $('lang').value, text: $('text').value, index: $('asof').value.trim(), consistency: $('consistency').value };
}

function draftKey(lang) { return 'akutan.draft.' + lang; }

function sync() {
  $('highlight').innerHTML = highlight($('text').value);
  const pre = $('highlight').parentElement;
  pre.scrollTop = $('text').scrollTop;
  pre.scrollLeft = $('text').scrollLeft;
}

export function setQuery(lang, text) {
  $('lang').value = lang;
  localStorage.setItem('akutan.lang', lang);
  $('text').value = text;
  localStorage.setItem(draftKey(lang), text);
  sync();
}

// ---- history ----

function loadHistory() {
  try { return JSON.parse(localStorage.getItem(historyKey)) || []; } catch (e) { return []; }
}

function addHistory(lang, text) {
  const h = loadHistory().filter((x) => !(x.lang === lang && x.text === text));
  h.unshift({ lang, text, at: new Date().toISOString() });
  localStorage.setItem(historyKey, JSON.stringify(h.slice(0, maxHistory)));
  drawHistory();
}

function drawHistory() {
  const ol = clear($('history'));
  for (const x of loadHistory()) {
    const first = x.text.trim().split('\n').find((l) => !/^\s*(PREFIX|#)/i.test(l)) || x.text.trim();
    ol.append(el('li', { title: x.text, onclick: () => setQuery(x.lang, x.text) },
      el('span', { class: 'tag' }, x.lang === 'sparql' ? 'SPARQL' : 'Akutan'), ' ', first.slice(0, 80)));
  }
}

// ---- terms ----

const numeric = /#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedLong|unsignedInt)$/;

function esc(v) { return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r'); }

// sparqlTerm turns a SPARQL JSON results term into a cell: raw is its
// N-Triples form, value its lexical form, text what the table shows.
function sparqlTerm(t, pm) {
  if (!t) return null;
  switch (t.type) {
    case 'uri': return { raw: `<${t.value}>`, value: t.value, text: prefixes.shorten(t.value, pm), kind: 'iri' };
    case 'bnode': return { raw: `_:${t.value}`, value: `_:${t.value}`, text: `_:${t.value}`, kind: 'bnode' };
    default: {
      const lang = t['xml:lang'], dt = t.datatype;
      if (lang) return { raw: `"${esc(t.value)}"@${lang}`, value: t.value, text: `"${t.value}"@${lang}`, kind: 'literal' };
      if (dt && !dt.endsWith('#string')) {
        const text = numeric.test(dt) || dt.endsWith('#boolean') ? t.value : `"${t.value}"^^${prefixes.shorten(dt, pm)}`;
        return { raw: `"${esc(t.value)}"^^<${dt}>`, value: t.value, text, kind: 'literal' };
      }
      return { raw: `"${esc(t.value)}"`, value: t.value, text: `"${t.value}"`, kind: 'literal' };
    }
  }
}

// textTerm turns a term written as text (the Akutan language's answers,
// N-Triples) into a cell.
function textTerm(s, pm) {
  if (s === null || s === undefined) return null;
  let m = /^<(.*)>$/.exec(s);
  if (m) return { raw: s, value: m[1], text: prefixes.shorten(m[1], pm), kind: 'iri' };
  m = /^"((?:[^"\\]|\\.)*)"/.exec(s);
  if (m) return { raw: s, value: m[1].replace(/\\(.)/g, (_, c) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c), text: s, kind: 'literal' };
  return { raw: s, value: s, text: s, kind: /^_:/.test(s) ? 'bnode' : 'other' };
}

const ntTerm = /<[^>]*>|_:[^\s]+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^<[^>]*>)?/g;

function parseTriples(text, pm) {
  const rows = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const terms = l.match(ntTerm) || [];
    if (terms.length >= 3) rows.push(terms.slice(0, 3).map((x) => textTerm(x, pm)));
  }
  return rows;
}

// ---- running ----

const updateForm = /^\s*(?:(?:PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>|#[^\n]*)\s*)*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|WITH|ADD|MOVE|COPY)\b/i;

// blockRows is how many rows of a SPARQL SELECT the console fetches at
// once: a query without LIMIT or OFFSET of its own gets LIMIT blockRows+1
// OFFSET n appended (the extra row says whether there are more), and the
// next block is read at the same log index.
function blockRows() { return Number(localStorage.getItem('akutan.blockRows')) || 10000; }

const selectForm = /^\s*(?:(?:PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>|#[^\n]*)\s*)*SELECT\b/i;

// pageable says whether LIMIT and OFFSET can be appended to a SPARQL
// query: a SELECT with neither after its last brace, and no VALUES (which
// would have to come after them).
function pageable(q) {
  if (!selectForm.test(q) || /\bVALUES\b/i.test(q)) return false;
  const tail = q.slice(q.lastIndexOf('}') + 1).replace(/#[^\n]*/g, '');
  return !/\b(LIMIT|OFFSET)\b/i.test(tail);
}

async function runSPARQL(q, offset = 0, pinned = '') {
  if (prefixes.remember(q)) $('prefixes').value = prefixes.text();
  let full = prefixes.addTo(q);
  const isUpdate = updateForm.test(full);
  const block = !isUpdate && pageable(full) ? blockRows() : 0;
  if (block) full += `\nLIMIT ${block + 1} OFFSET ${offset}`;
  const body = new URLSearchParams();
  body.set(isUpdate ? 'update' : 'query', full);
  const { consistency } = current();
  const index = pinned || current().index;
  if (!isUpdate && index) body.set('index', index);
  if (!isUpdate && consistency && !index) body.set('consistency', consistency);
  const resp = await request('sparql', {
    method: 'POST', body,
    headers: { Accept: 'application/sparql-results+json, application/n-triples;q=0.9' },
  });
  const at = resp.headers.get('Akutan-Log-Index');
  const pm = prefixes.map();
  if (isUpdate) return { kind: 'update', message: (await resp.text()).trim(), index: at };
  const ct = resp.headers.get('Content-Type') || '';
  if (ct.includes('json')) {
    const j = await resp.json();
    if ('boolean' in j) return { kind: 'ask', boolean: j.boolean, index: at };
    const vars = j.head.vars || [];
    let rows = j.results.bindings.map((b) => vars.map((v) => sparqlTerm(b[v], pm)));
    let paged = null;
    if (block) {
      paged = { query: q, offset, size: block, more: rows.length > block };
      rows = rows.slice(0, block);
    }
    return { kind: 'select', columns: vars, rows, index: at, paged };
  }
  return { kind: 'construct', columns: ['subject', 'predicate', 'object'], rows: parseTriples(await resp.text(), pm), index: at };
}

// block fetches another block of the last paged SPARQL answer, at its
// log index.
async function block(offset) {
  const p = result && result.paged;
  if (!p) return;
  setStatus($('query-status'), 'running…', 'busy');
  const t0 = performance.now();
  try {
    const res = await runSPARQL(p.query, Math.max(0, offset), result.index);
    res.ms = performance.now() - t0;
    show(res);
  } catch (e) {
    setStatus($('query-status'), e.message, 'error');
  }
}

// runAkutan runs q in the Akutan language; with explain the answer also
// has the plan and its analysis.
export async function runAkutan(q, explain) {
  const { index, consistency } = current();
  const req = { query: q, consistency, explain };
  if (index) req.index = Number(index);
  const resp = await request('v1/query', {
    method: 'POST', body: JSON.stringify(req), headers: { 'Content-Type': 'application/json' },
  });
  const j = await resp.json();
  const pm = prefixes.map();
  return {
    kind: 'select', columns: j.columns || [], rows: (j.rows || []).map((r) => r.map((c) => textTerm(c, pm))),
    index: String(j.index), plan: j.plan, analysis: j.analysis,
  };
}

async function run() {
  const { lang, text } = current();
  if (!text.trim()) return;
  addHistory(lang, text);
  const status = $('query-status');
  setStatus(status, 'running…', 'busy');
  const t0 = performance.now();
  try {
    const res = lang === 'sparql' ? await runSPARQL(text) : await runAkutan(text, false);
    res.ms = performance.now() - t0;
    show(res);
  } catch (e) {
    setStatus(status, e.message, 'error');
    clear($('results')).append(el('pre', { class: 'error' }, e.message));
  }
}

// ---- results ----

export function show(res) {
  result = res;
  page = 0;
  const n = res.rows ? res.rows.length : 0;
  let what = res.kind === 'construct' ? `${n} triple${n === 1 ? '' : 's'}` :
    res.kind === 'select' ? `${n} row${n === 1 ? '' : 's'}` : res.kind === 'ask' ? 'ASK' : 'update';
  if (res.paged && (res.paged.offset > 0 || res.paged.more)) {
    what = `rows ${res.paged.offset + 1}–${res.paged.offset + n}${res.paged.more ? ' of more' : ''} (LIMIT/OFFSET blocks of ${res.paged.size})`;
  }
  setStatus($('query-status'), `${what} · read at log index ${res.index ?? '?'} · ${Math.round(res.ms || 0)} ms`, 'ok');
  $('results').dataset.index = res.index ?? '';
  draw();
}

function draw() {
  const out = clear($('results'));
  const res = result;
  if (!res) return;
  if (res.kind === 'ask') { out.append(el('p', { class: 'ask' }, String(res.boolean))); return; }
  if (res.kind === 'update') { out.append(el('p', { class: 'ok' }, res.message)); return; }
  const pages = Math.max(1, Math.ceil(res.rows.length / pageSize));
  const start = page * pageSize;
  const slice = res.rows.slice(start, start + pageSize);
  const base = res.paged ? res.paged.offset : 0; // rows before this block
  const blocks = res.paged && (res.paged.offset > 0 || res.paged.more) ? el('span', { class: 'blocks' },
    el('button', { class: 'small', id: 'prev-block', disabled: res.paged.offset === 0, onclick: () => block(res.paged.offset - res.paged.size) }, '‹ previous block'),
    el('button', { class: 'small', id: 'next-block', disabled: !res.paged.more, onclick: () => block(res.paged.offset + res.paged.size) }, 'next block ›'),
    el('span', { class: 'muted', title: 'each block is a query with LIMIT and OFFSET at the same log index; without ORDER BY the order is the engine\'s' }, ` at index ${res.index}`)) : null;
  const bar = el('div', { class: 'pager' },
    el('button', { class: 'small', disabled: page === 0, onclick: () => { page = 0; draw(); } }, '«'),
    el('button', { class: 'small', disabled: page === 0, onclick: () => { page--; draw(); } }, '‹'),
    el('span', { class: 'pageinfo' }, res.rows.length ? `rows ${base + start + 1}–${base + start + slice.length} of ${res.paged && res.paged.more ? 'more' : base + res.rows.length}` : 'no rows'),
    el('button', { class: 'small', disabled: page >= pages - 1, onclick: () => { page++; draw(); } }, '›'),
    el('button', { class: 'small', disabled: page >= pages - 1, onclick: () => { page = pages - 1; draw(); } }, '»'),
    sizeSelect(),
    blocks,
    el('span', { class: 'spacer' }),
    'download ',
    el('button', { class: 'small', onclick: () => download('csv') }, 'CSV'),
    el('button', { class: 'small', onclick: () => download('tsv') }, 'TSV'),
    el('button', { class: 'small', onclick: () => download('json') }, 'JSON'));
  const table = el('table', { class: 'results' + (res.kind === 'construct' ? ' triples' : '') },
    el('thead', {}, el('tr', {}, el('th', { class: 'rownum' }, '#'), res.columns.map((c) => el('th', {}, res.kind === 'construct' ? c : '?' + c)))),
    el('tbody', {}, slice.map((row, i) => el('tr', {},
      el('td', { class: 'rownum' }, base + start + i + 1),
      row.map((c) => c === null ? el('td', { class: 'unbound' }, '') :
        el('td', { class: 'term ' + c.kind, title: c.raw }, c.text))))));
  out.append(bar, el('div', { class: 'table-wrap' }, table));
}

function sizeSelect() {
  const s = el('select', { class: 'small', onchange: (e) => { pageSize = Number(e.target.value); page = 0; draw(); } },
    [25, 100, 500, 2000].map((n) => el('option', { value: n, selected: n === pageSize }, `${n} per page`)));
  return s;
}

function csvCell(s) { return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; }

function download(format) {
  const res = result;
  if (!res || !res.rows) return;
  let text, type;
  if (format === 'csv') {
    text = [res.columns.map(csvCell).join(','), ...res.rows.map((r) => r.map((c) => csvCell(c ? c.value : '')).join(','))].join('\r\n') + '\r\n';
    type = 'text/csv';
  } else if (format === 'tsv') {
    text = [res.columns.map((c) => res.kind === 'construct' ? c : '?' + c).join('\t'),
      ...res.rows.map((r) => r.map((c) => c ? c.raw.replace(/[\t\n\r]/g, ' ') : '').join('\t'))].join('\n') + '\n';
    type = 'text/tab-separated-values';
  } else {
    text = JSON.stringify({ index: res.index, columns: res.columns, rows: res.rows.map((r) => r.map((c) => c ? c.raw : null)) }, null, 2);
    type = 'application/json';
  }
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: `akutan-results.${format}` });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// ---- setup ----

export function init({ onExplain }) {
  const lang = localStorage.getItem('akutan.lang') || 'sparql';
  $('lang').value = lang;
  $('text').value = localStorage.getItem(draftKey(lang)) ?? samples[lang];
  $('prefixes').value = prefixes.text();
  sync();
  drawHistory();
  $('text').addEventListener('input', () => { localStorage.setItem(draftKey($('lang').value), $('text').value); sync(); });
  $('text').addEventListener('scroll', sync);
  $('text').addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      if (e.shiftKey) onExplain(); else run();
    } else if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey) {
      e.preventDefault();
      document.execCommand('insertText', false, '  ');
    }
  });
  $('lang').addEventListener('change', () => {
    const l = $('lang').value;
    localStorage.setItem('akutan.lang', l);
    $('text').value = localStorage.getItem(draftKey(l)) ?? samples[l];
    sync();
  });
  $('prefixes').addEventListener('change', () => prefixes.setText($('prefixes').value));
  $('run').addEventListener('click', run);
  $('explain').addEventListener('click', onExplain);
  $('clear-history').addEventListener('click', () => { localStorage.removeItem(historyKey); drawHistory(); });
}
