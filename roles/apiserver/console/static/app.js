// The console's entry point: tabs and the token box.
import { token, setToken } from './api.js';
import * as query from './query.js';
import * as plan from './plan.js';
import * as cluster from './cluster.js';
import * as load from './load.js';

const tabs = ['query', 'plan', 'cluster', 'load'];

function show(name) {
  if (!tabs.includes(name)) name = 'query';
  for (const t of tabs) document.getElementById(t).hidden = t !== name;
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  if (name === 'cluster') cluster.start(); else cluster.stop();
  if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
}

export function showTab(name) { show(name); }

const tok = document.getElementById('token');
tok.value = token();
for (const ev of ['input', 'change']) tok.addEventListener(ev, () => setToken(tok.value.trim()));

for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => show(b.dataset.tab));
window.addEventListener('hashchange', () => show(location.hash.slice(1)));

query.init({ onExplain: () => { show('plan'); plan.explain(query.current()); } });
plan.init({ getQuery: query.current });
load.init();
show(location.hash.slice(1) || 'query');
document.body.dataset.ready = 'true';
