// The load tab: insert a small file with POST /v1/insert.
import { headers, setStatus } from './api.js';

const $ = (id) => document.getElementById(id);
const maxBytes = 16 << 20; // wire.MaxRequestBytes

function formatOf(name) {
  const n = name.toLowerCase().replace(/\.gz$/, '');
  if (n.endsWith('.nt')) return 'ntriples';
  if (n.endsWith('.ttl')) return 'turtle';
  return 'tsv';
}

async function readText(file) {
  if (!file.name.toLowerCase().endsWith('.gz')) return file.text();
  return new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text();
}

async function upload() {
  const status = $('load-status');
  const progress = $('load-progress');
  const file = $('load-file').files[0];
  if (!file) { setStatus(status, 'choose a file first', 'error'); return; }
  const format = $('load-format').value || formatOf(file.name);
  progress.value = 0;
  let data;
  try {
    setStatus(status, `reading ${file.name}…`, 'busy');
    data = await readText(file);
  } catch (e) {
    setStatus(status, `reading ${file.name}: ${e.message}`, 'error');
    return;
  }
  const body = JSON.stringify({ format, data });
  const size = new Blob([body]).size;
  if (size > maxBytes) {
    setStatus(status, `${file.name} is ${size} bytes as a request, over the limit of ${maxBytes}; use akutan insert`, 'error');
    return;
  }
  const xhr = new XMLHttpRequest();
  xhr.open('POST', 'v1/insert');
  for (const [k, v] of Object.entries(headers({ 'Content-Type': 'application/json' }))) xhr.setRequestHeader(k, v);
  xhr.upload.addEventListener('progress', (e) => {
    if (e.lengthComputable) {
      progress.value = e.loaded / e.total;
      setStatus(status, `uploading ${file.name} (${format}): ${Math.round(100 * e.loaded / e.total)}%`, 'busy');
    }
  });
  xhr.addEventListener('load', () => {
    progress.value = 1;
    let j = {};
    try { j = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
    if (xhr.status >= 200 && xhr.status < 300) {
      setStatus(status, `inserted ${j.inserted} facts (${j.existing} already present) at log index ${j.index}`, 'ok');
    } else {
      setStatus(status, `${xhr.status}: ${j.error || xhr.responseText}`, 'error');
    }
  });
  xhr.addEventListener('error', () => setStatus(status, 'the upload failed (connection error)', 'error'));
  setStatus(status, `uploading ${file.name} (${format})…`, 'busy');
  xhr.send(body);
}

export function init() {
  $('load-run').addEventListener('click', upload);
}
