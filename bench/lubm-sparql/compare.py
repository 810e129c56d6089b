"""Times the 14 LUBM queries on several SPARQL endpoints, interleaved, and
checks that they return the same rows.

Usage: compare.py REPS NAME=URL [NAME=URL ...]
Each endpoint gets POST form query= with Accept: application/sparql-results+json.
Virtuoso's URL may carry ?default-graph-uri=...; it is sent as a form field.
Prints one line per query: rows per endpoint, whether the rows agree, each
endpoint's median latency in ms over REPS-1 runs (the first run warms up),
and the ratio of the first endpoint's median to the second's; then the
median of those ratios and the queries where it is above 2.
"""
import glob, json, os, statistics, sys, time, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def run(url, query):
    base, _, extra = url.partition("?")
    form = dict(urllib.parse.parse_qsl(extra))
    form["query"] = query
    req = urllib.request.Request(base, data=urllib.parse.urlencode(form).encode(),
                                 headers={"Accept": "application/sparql-results+json"})
    start = time.perf_counter()
    body = urllib.request.urlopen(req, timeout=600).read()
    secs = time.perf_counter() - start
    answer = json.loads(body)
    rows = sorted(tuple(sorted((k, v["value"]) for k, v in b.items())) for b in answer["results"]["bindings"])
    return secs, rows


def main():
    reps = int(sys.argv[1])
    peers = [a.split("=", 1) for a in sys.argv[2:]]
    names = [n for n, _ in peers]
    ratio_name = f"{names[0]}/{names[1]}" if len(names) > 1 else None
    print("query\t" + "\t".join(f"{n}_rows" for n in names) + "\tsame\t" + "\t".join(f"{n}_ms" for n in names)
          + (f"\t{ratio_name}" if ratio_name else ""), flush=True)
    bad = 0
    ratios = {}
    for i in range(1, 15):
        query = open(os.path.join(HERE, "queries", f"q{i}.rq")).read()
        times = {n: [] for n in names}
        rows = {}
        for rep in range(reps):
            for name, url in peers:  # interleaved: each rep visits every peer
                secs, r = run(url, query)
                rows[name] = r
                if rep:
                    times[name].append(secs)
        same = all(rows[n] == rows[names[0]] for n in names)
        bad += not same
        medians = {n: statistics.median(times[n]) for n in names}
        line = f"q{i}\t" + "\t".join(str(len(rows[n])) for n in names) + f"\t{'yes' if same else 'NO'}\t" \
            + "\t".join(f"{medians[n] * 1000:.1f}" for n in names)
        if ratio_name:
            ratios[f"q{i}"] = medians[names[0]] / medians[names[1]]
            line += f"\t{ratios[f'q{i}']:.2f}"
        print(line, flush=True)
    if ratios:
        slow = [q for q, r in ratios.items() if r > 2]
        print(f"median of the {len(ratios)} ratios {ratio_name}: {statistics.median(ratios.values()):.2f}; "
              f"more than 2x slower: {', '.join(slow) if slow else 'none'}", flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
