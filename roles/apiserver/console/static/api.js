// Requests to the API server, with the user's bearer token.

const tokenKey = 'akutan.token';

export function token() { return localStorage.getItem(tokenKey) || ''; }
export function setToken(t) {
  if (t) localStorage.setItem(tokenKey, t); else localStorage.removeItem(tokenKey);
}

export function headers(extra = {}) {
  const h = { ...extra };
  const t = token();
  if (t) h['Authorization'] = 'Bearer ' + t;
  return h;
}

// request fetches url and fails with the server's error message on a
// status that is not 2xx.
export async function request(url, opts = {}) {
  const resp = await fetch(url, { ...opts, headers: headers(opts.headers || {}) });
  if (!resp.ok) {
    const text = await resp.text();
    let msg = text;
    try { msg = JSON.parse(text).error || text; } catch (e) { /* not JSON */ }
    throw new Error(`${resp.status} ${resp.statusText}: ${msg.trim()}`);
  }
  return resp;
}

export async function getJSON(url, opts = {}) {
  return (await request(url, opts)).json();
}

// el makes an element: el('td', {class: 'x'}, 'text', child...).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

export function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

export function setStatus(e, text, kind = '') {
  e.textContent = text;
  e.className = 'status ' + kind;
}
