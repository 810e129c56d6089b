// A small syntax highlighter for SPARQL and the Akutan query language,
// drawn under a transparent textarea.

const keywords = new Set(('select distinct reduced where optional filter union minus graph service bind values ' +
  'construct describe ask from named prefix base order by asc desc limit offset group having as not exists in ' +
  'insert delete data load clear drop create with using default all silent into to move copy add true false a ' +
  'count sum min max avg sample group_concat separator str lang datatype bound iri uri regex strlen substr ' +
  'ucase lcase contains strstarts strends concat if coalesce isiri isuri isblank isliteral isnumeric undef').split(' '));

const token = new RegExp([
  String.raw`(#[^\n]*)`,                                      // 1 comment
  String.raw`(<[^<>"{}|^\x60\\\s]*>)`,                     // 2 IRI
  String.raw`("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')`,      // 3 string
  String.raw`([?$][A-Za-z_][\w]*)`,                          // 4 variable
  String.raw`([A-Za-z_][\w.-]*:[\w.-]*|:[\w.-]+)`,           // 5 prefixed name
  String.raw`(@[A-Za-z]+(?:-[A-Za-z0-9]+)*)`,                // 6 language tag / annotation
  String.raw`([A-Za-z_]\w*)`,                                // 7 word
  String.raw`(\d+(?:\.\d+)?)`,                               // 8 number
].join('|'), 'g');

function esc(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// highlight returns text as HTML with spans classed by token kind.
export function highlight(text) {
  let out = '', last = 0;
  token.lastIndex = 0;
  for (let m; (m = token.exec(text));) {
    out += esc(text.slice(last, m.index));
    let cls = '';
    if (m[1]) cls = 'comment';
    else if (m[2]) cls = 'iri';
    else if (m[3]) cls = 'string';
    else if (m[4]) cls = 'var';
    else if (m[5]) cls = 'pname';
    else if (m[6]) cls = 'lang';
    else if (m[7]) cls = keywords.has(m[7].toLowerCase()) ? 'kw' : '';
    else if (m[8]) cls = 'num';
    out += cls ? `<span class="hl-${cls}">${esc(m[0])}</span>` : esc(m[0]);
    last = m.index + m[0].length;
  }
  // A trailing newline needs a character after it to take up a line.
  return out + esc(text.slice(last)) + '\n';
}
