// The prefixes the console remembers: typed in the Prefixes box, or
// declared by a query that ran.

const key = 'akutan.prefixes';
const defaults = [
  'PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>',
  'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>',
  'PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>',
  'PREFIX owl: <http://www.w3.org/2002/07/owl#>',
].join('\n');

const decl = /PREFIX\s+([A-Za-z_][\w.-]*)?:\s*<([^>]*)>/gi;

export function text() { return localStorage.getItem(key) ?? defaults; }
export function setText(t) { localStorage.setItem(key, t); }

// parse returns {prefix: namespace} for the PREFIX declarations in t.
export function parse(t) {
  const out = {};
  decl.lastIndex = 0;
  for (let m; (m = decl.exec(t));) out[m[1] || ''] = m[2];
  return out;
}

export function map() { return parse(text()); }

// remember adds the prefixes query declares to the remembered ones.
export function remember(query) {
  const have = map();
  const lines = [];
  for (const [p, ns] of Object.entries(parse(query))) {
    if (have[p] === undefined) lines.push(`PREFIX ${p}: <${ns}>`);
  }
  if (lines.length) setText(text().replace(/\s*$/, '') + '\n' + lines.join('\n'));
  return lines.length > 0;
}

// addTo prepends to a SPARQL query the remembered prefixes it uses but
// does not declare.
export function addTo(query) {
  const declared = parse(query);
  const lines = [];
  for (const [p, ns] of Object.entries(map())) {
    if (declared[p] !== undefined) continue;
    const used = new RegExp(`(^|[\\s(,;/^|!{}])${p.replace(/[.-]/g, '\\$&')}:`, 'm');
    if (used.test(query.replace(/<[^>]*>|"(?:[^"\\]|\\.)*"/g, ' '))) lines.push(`PREFIX ${p}: <${ns}>`);
  }
  return lines.length ? lines.join('\n') + '\n' + query : query;
}

// shorten writes an IRI as prefix:local when a remembered namespace
// starts it, else as <iri>.
export function shorten(iri, m = map()) {
  let best = null;
  for (const [p, ns] of Object.entries(m)) {
    if (ns && iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [p, ns];
  }
  if (best) {
    const local = iri.slice(best[1].length);
    if (/^[\w.-]*$/.test(local) && !local.endsWith('.')) return `${best[0]}:${local}`;
  }
  return `<${iri}>`;
}
