// The cluster tab: the status report (GET /v1/status) and the log's
// floors (GET /v1/floors), polled while the tab is open.
import { getJSON, el, clear, setStatus } from './api.js';

const $ = (id) => document.getElementById(id);
const every = 1500; // ms between polls
const space = 1n << 64n;

let timer = null;
let running = false;
let last = null; // the last report drawn

export function start() {
  if (running) return;
  running = true;
  poll();
}

export function stop() {
  running = false;
  clearTimeout(timer);
}

async function poll() {
  if (!running) return;
  const status = $('cluster-status');
  try {
    const [rep, floors] = await Promise.all([
      getJSON('v1/status'),
      getJSON('v1/floors').catch((e) => ({ error: e.message })),
    ]);
    last = rep;
    draw(rep, floors);
    setStatus(status, `updated ${new Date().toLocaleTimeString()} · reported by ${rep.reported_by} · refreshes every ${every / 1000} s`, 'ok');
  } catch (e) {
    setStatus(status, `${e.message} (showing the last report${last ? ' from ' + last.checked_at : ''})`, 'error');
  }
  if (running) timer = setTimeout(poll, every);
}

// parseRange reads "0xSTART-0xEND" (inclusive).
function parseRange(r) {
  const m = /^0x([0-9a-f]+)-0x([0-9a-f]+)$/i.exec(r || '');
  if (!m) return null;
  return { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]) };
}

function hex(n) { return '0x' + n.toString(16).padStart(16, '0'); }

function covClass(n) { return 'cov' + Math.min(n, 3); }

function verdictClass(j) { return j.healthy ? 'healthy' : j.fully_available ? 'available' : 'unavailable'; }

function verdict(j) {
  return el('span', { class: 'verdict ' + verdictClass(j) }, j.verdict);
}

function reasons(j) {
  if (!j.reasons || !j.reasons.length) return null;
  return el('ul', { class: 'reasons' }, j.reasons.map((r) => el('li', {}, r)));
}

// bar draws a space's ranges, filling any gap the report leaves with an
// uncovered segment.
function bar(sp) {
  const segs = [];
  let at = 0n;
  const add = (start, end, c) => {
    const pct = Number(((end - start + 1n) * 100000n) / space) / 1000;
    const n = c ? c.up_to_date : 0;
    const rng = `${hex(start)}-${hex(end)}`;
    const s = el('div', {
      class: `seg ${covClass(n)}${n === 0 ? ' uncovered' : ''}`,
      title: `${sp.space} ${rng}: ${n} up-to-date view${n === 1 ? '' : 's'}` +
        (c ? ` (${c.views} in all${c.draining ? ', ' + c.draining + ' draining' : ''})` : ', no view'),
      dataset: { space: sp.space, range: rng, upToDate: String(n) },
    }, el('span', {}, n === 0 ? 'uncovered' : String(n)));
    s.style.width = pct + '%';
    segs.push(s);
  };
  for (const c of sp.ranges || []) {
    const r = parseRange(c.range);
    if (!r) continue;
    if (r.start > at) add(at, r.start - 1n, null);
    add(r.start, r.end, c);
    at = r.end + 1n;
  }
  if (at < space) add(at, space - 1n, null);
  return el('div', { class: 'space' },
    el('div', { class: 'space-name' }, sp.space, el('small', {}, ` min ${sp.min_up_to_date} up to date`)),
    el('div', { class: 'bar' }, segs));
}

function table(cls, heads, rows) {
  return el('table', { class: 'grid ' + cls },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

function viewRows(views, lost) {
  const sorted = [...(views || [])].sort((a, b) =>
    a.space.localeCompare(b.space) || a.range.localeCompare(b.range) || a.name.localeCompare(b.name));
  const rows = sorted.map((v) => el('tr', { dataset: { view: v.name, status: v.status } },
    el('td', {}, v.name), el('td', {}, v.space), el('td', { class: 'mono' }, v.range),
    el('td', { class: 'num' }, v.applied_index), el('td', { class: 'num' }, v.durable_index ?? ''),
    el('td', { class: 'num' }, v.lag),
    el('td', {}, el('span', { class: 'pill ' + v.status }, v.status), v.state ? ` (${v.state})` : ''),
    el('td', { class: 'small' }, v.serving ? 'serving' : 'not serving', v.unreachable ? el('div', { class: 'why' }, v.unreachable) : null)));
  for (const x of lost || []) {
    if (x.role !== 'view') continue;
    rows.push(el('tr', { class: 'lost', dataset: { view: x.name, status: 'lost' } },
      el('td', {}, x.name), el('td', {}, x.space || ''), el('td', { class: 'mono' }, x.range || ''),
      el('td', {}), el('td', {}), el('td', {}),
      el('td', {}, el('span', { class: 'pill lost' }, 'lost')),
      el('td', { class: 'small' }, x.since ? 'since ' + new Date(x.since).toLocaleTimeString() : '')));
  }
  return rows;
}

function apiRows(apis, lost) {
  const rows = (apis || []).map((a) => el('tr', { dataset: { api: a.name } },
    el('td', {}, a.name), el('td', { class: 'mono' }, a.grpc_addr || ''), el('td', { class: 'mono' }, a.http_addr || ''),
    el('td', {}, a.dc || ''), el('td', {}, el('span', { class: 'pill ' + (a.serving ? 'up-to-date' : 'not-serving') }, a.serving ? 'up' : 'not serving'))));
  for (const x of lost || []) {
    if (x.role !== 'api') continue;
    rows.push(el('tr', { class: 'lost' }, el('td', {}, x.name), el('td', {}), el('td', {}), el('td', {}), el('td', {}, el('span', { class: 'pill lost' }, 'lost'))));
  }
  return rows;
}

function clusterCard(name, dc, j, lost) {
  return el('div', { class: 'card cluster', dataset: { cluster: name } },
    el('h2', {}, `Cluster ${name}`, dc ? el('small', {}, ` dc ${dc}`) : null, ' ', verdict(j)),
    reasons(j),
    el('h3', {}, 'Coverage'),
    el('div', { class: 'spaces' }, (j.spaces || []).map(bar)),
    el('div', { class: 'legend' }, [0, 1, 2, 3].map((n) => el('span', { class: 'seg ' + covClass(n) }, n === 3 ? '3+ up-to-date' : `${n} up-to-date`))),
    el('h3', {}, `Views (${(j.views || []).length})`),
    table('views', ['name', 'space', 'range', 'applied', 'durable', 'lag', 'status', 'state'], viewRows(j.views, lost)),
    el('h3', {}, `API servers (${(j.apis || []).length})`),
    table('apis', ['name', 'gRPC', 'HTTP', 'dc', 'state'], apiRows(j.apis, lost)));
}

function logCard(log, floors) {
  const replicas = (log.replicas || []).map((r) => el('tr', { dataset: { replica: String(r.id) } },
    el('td', { class: 'num' }, r.id), el('td', {}, r.dc || ''), el('td', { class: 'mono' }, r.raft_addr),
    el('td', {}, r.leader ? el('span', { class: 'pill leader' }, 'leader') : 'follower'),
    el('td', {}, el('span', { class: 'pill ' + (r.up ? 'up-to-date' : 'unreachable') }, r.up ? 'up' : 'down'),
      r.unreachable ? el('div', { class: 'why' }, r.unreachable) : null)));
  let floorText;
  if (floors && floors.error) floorText = el('span', { class: 'error' }, floors.error);
  else if (floors && floors.floors && floors.floors.length) floorText = floors.floors.map((f) => `${f.cluster} ${f.index}`).join(', ');
  else floorText = el('span', { class: 'muted' }, 'none registered');
  return el('div', { class: 'card log' },
    el('h2', {}, 'Log ', el('span', { class: 'verdict ' + (log.available ? 'healthy' : 'unavailable') }, log.available ? 'available' : 'unavailable')),
    log.error ? el('p', { class: 'error' }, log.error) : null,
    el('dl', { class: 'facts' },
      el('dt', {}, 'leader'), el('dd', {}, log.leader_id || 'none'),
      el('dt', {}, 'first index'), el('dd', {}, log.first_index),
      el('dt', {}, 'last index'), el('dd', {}, log.last_index),
      el('dt', {}, 'floors'), el('dd', { class: 'floors' }, floorText)),
    table('log-replicas', ['id', 'dc', 'raft address', 'role', 'state'], replicas),
    log.silent && log.silent.length ? el('ul', { class: 'reasons' }, log.silent.map((s) => el('li', {}, `replica ${s.id || '?'} at ${s.grpc_addr} silent: ${s.error}`))) : null);
}

function draw(rep, floors) {
  const out = $('cluster-out');
  const scrollY = window.scrollY;
  const summary = el('div', { class: 'card summary', id: 'verdict', dataset: { verdict: rep.verdict } },
    el('h2', {}, 'Database ', verdict(rep)),
    reasons(rep),
    el('p', { class: 'muted' }, `checked ${new Date(rep.checked_at).toLocaleTimeString()} by ${rep.reported_by}; reference index ${rep.reference_index}; views more than ${rep.max_lag} entries behind count as lagging`));
  const body = el('div', {}, el('div', { class: 'top' }, summary, logCard(rep.log || {}, floors)));
  const clusters = rep.clusters && rep.clusters.length ? rep.clusters : [{ name: '(all)', dc: '', ...rep, lost: rep.lost }];
  // With one cluster its reasons are the database's: do not repeat them.
  const same = clusters.length === 1 && JSON.stringify(clusters[0].reasons) === JSON.stringify(rep.reasons);
  for (const c of clusters) body.append(clusterCard(c.name, c.dc, same ? { ...c, reasons: [] } : c, c.lost));
  clear(out).append(body);
  window.scrollTo(0, scrollY);
}
