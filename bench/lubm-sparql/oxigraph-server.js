// A minimal SPARQL endpoint over an in-memory Oxigraph store, so that the
// comparison times Oxigraph over HTTP like Akutan and Virtuoso.
// Usage: node oxigraph-server.js DATA.nt.gz PORT
// Prints "loaded N triples in S s" once the data is in, then serves
// POST /sparql (form query=) with SPARQL JSON results.
const fs = require("fs");
const http = require("http");
const zlib = require("zlib");
const ox = require("oxigraph");

const [data, port] = process.argv.slice(2);
const store = new ox.Store();
const start = process.hrtime.bigint();
// Load in chunks of whole lines: one string for all of LUBM-10 would be
// close to V8's string limit.
let pending = "";
let batch = [];
let batchBytes = 0;
const flush = () => {
  if (batch.length) store.load(batch.join(""), { format: "application/n-triples" });
  batch = [];
  batchBytes = 0;
};
fs.createReadStream(data)
  .pipe(zlib.createGunzip())
  .on("data", (chunk) => {
    const text = pending + chunk.toString("utf8");
    const cut = text.lastIndexOf("\n") + 1;
    pending = text.slice(cut);
    batch.push(text.slice(0, cut));
    batchBytes += cut;
    if (batchBytes > 16 << 20) flush();
  })
  .on("end", () => {
    batch.push(pending);
    flush();
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`loaded ${store.size} triples in ${secs.toFixed(1)} s`);
    serve();
  });

function term(t) {
  if (t.termType === "NamedNode") return { type: "uri", value: t.value };
  if (t.termType === "BlankNode") return { type: "bnode", value: t.value };
  const out = { type: "literal", value: t.value };
  if (t.language) out["xml:lang"] = t.language;
  else if (t.datatype.value !== "http://www.w3.org/2001/XMLSchema#string") out.datatype = t.datatype.value;
  return out;
}

function serve() {
  http
    .createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        try {
          const q = new URLSearchParams(body).get("query");
          const rows = store.query(q);
          const vars = new Set();
          const bindings = rows.map((b) => {
            const o = {};
            for (const [k, v] of b) {
              vars.add(k);
              o[k] = term(v);
            }
            return o;
          });
          res.writeHead(200, { "Content-Type": "application/sparql-results+json" });
          res.end(JSON.stringify({ head: { vars: [...vars] }, results: { bindings } }));
        } catch (e) {
          res.writeHead(400, { "Content-Type": "text/plain" });
          res.end(String(e));
        }
      });
    })
    .listen(Number(port), "127.0.0.1");
}
