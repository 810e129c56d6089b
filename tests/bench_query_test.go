package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// The synthetic graph: people with 10 facts each (type, city, age,
// employer and 6 liked items), cities in regions in countries. 100,000
// people give 1,000,000 facts, plus the entities' name facts.
const (
	benchPeople    = 100_000
	benchCities    = 1000
	benchRegions   = 100
	benchCountries = 10
	benchItems     = 10_000
	benchCompanies = 500
	benchBatch     = 5000 // facts per insert request
)

// benchQueries are the measured queries.
func benchQueries() []struct{ name, text string } {
	return []struct{ name, text string }{
		{"two-pattern join", `SELECT * WHERE { ?p <livesIn> <city7> . ?p <age> ?a }`},
		{"three-pattern join with comparison", `SELECT ?p ?a WHERE { ?p <livesIn> <city7> . ?p <worksFor> ?c . ?p <age> ?a . ?a <gt> 50 }`},
		{"inference", `SELECT ?p WHERE { ?p <livesIn> ?c . ?c <locatedIn> <country3> . ?p <age> 33 }`},
	}
}

// BenchmarkQueryLatency measures query latency (p50, p99) and lookups per
// view RPC on 1,000,000 facts in `akutan local`. Set AKUTAN_BENCH_DIR to
// keep the loaded data between runs, and AKUTAN_BENCH_TLS=1 to serve the
// API with mutual TLS (certificates from `akutan ctl certs`; the client
// to API hop is then TLS, the rest of local stays in process):
//
//	AKUTAN_BENCH_DIR=/tmp/akutan-bench go test ./tests -run '^$' -bench QueryLatency -benchtime 50x
func BenchmarkQueryLatency(b *testing.B) {
	dir := os.Getenv("AKUTAN_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	addrs := harness.FreeAddrs(b, 2)
	api, httpAddr := addrs[0], addrs[1]
	args := []string{"local", "--dir", filepath.Join(dir, "data"), "--api-addr", api, "--http-addr", httpAddr}
	creds := insecure.NewCredentials()
	web := benchHTTP{client: http.DefaultClient, base: "http://" + httpAddr}
	if os.Getenv("AKUTAN_BENCH_TLS") == "1" {
		certs := filepath.Join(b.TempDir(), "certs")
		if _, errOut, err := harness.Run(b, bin, "ctl", "certs", "--out", certs); err != nil {
			b.Fatalf("ctl certs: %v: %s", err, errOut)
		}
		f := func(n string) string { return filepath.Join(certs, n) }
		args = append(args, "--tls-cert", f("server.pem"), "--tls-key", f("server-key.pem"), "--tls-ca", f("ca.pem"))
		src, err := tlsconfig.Load(tlsconfig.Files{Cert: f("client.pem"), Key: f("client-key.pem"), CA: f("ca.pem")}, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		creds = src.ClientCredentials()
		web = benchHTTP{client: &http.Client{Transport: &http.Transport{TLSClientConfig: src.Client()}}, base: "https://" + httpAddr}
	}
	harness.Start(b, bin, "local", args...)
	harness.WaitTCP(b, api, 60*time.Second)
	conn, err := grpc.NewClient(api, grpc.WithTransportCredentials(creds))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := wire.NewAPIClient(conn)
	// Servers come up in any order; wait until a query needing every view works.
	testutil.Eventually(b, 60*time.Second, 250*time.Millisecond, func() error {
		_, err := runBenchQuery(client, "SELECT * WHERE { ?s <HasExternalID> ?name } LIMIT 1")
		return err
	})
	loadBenchData(b, client, filepath.Join(dir, "loaded"))
	for _, q := range benchQueries() {
		b.Run(q.name, func(b *testing.B) { benchQuery(b, client, web, q.text) })
	}
}

// loadBenchData inserts the synthetic graph unless marker says it is there.
func loadBenchData(b *testing.B, client wire.APIClient, marker string) {
	if _, err := os.Stat(marker); err == nil {
		return
	}
	start := time.Now()
	lines := benchFacts()
	for i := 0; i < len(lines); i += benchBatch {
		data := strings.Join(lines[i:min(i+benchBatch, len(lines))], "\n")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_, err := client.Insert(ctx, &wire.InsertRequest{Format: "tsv", Data: data})
		cancel()
		if err != nil {
			b.Fatalf("inserting facts %d..: %v", i, err)
		}
	}
	b.Logf("inserted %d facts in %v", len(lines), time.Since(start))
	if err := os.WriteFile(marker, []byte("ok\n"), 0o644); err != nil {
		b.Fatal(err)
	}
}

// benchFacts generates the graph as TSV lines, places first so that
// people's batches reuse existing entities.
func benchFacts() []string {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []string
	for c := 0; c < benchCities; c++ {
		out = append(out, fmt.Sprintf("<city%d> <locatedIn> <region%d>", c, c%benchRegions))
	}
	for r := 0; r < benchRegions; r++ {
		out = append(out, fmt.Sprintf("<region%d> <locatedIn> <country%d>", r, r%benchCountries))
	}
	for i := 0; i < benchItems; i++ {
		out = append(out, fmt.Sprintf("<item%d> <category> <cat%d>", i, i%50))
	}
	for p := 0; p < benchPeople; p++ {
		out = append(out,
			fmt.Sprintf("<p%d> rdf:type <Person>", p),
			fmt.Sprintf("<p%d> <livesIn> <city%d>", p, rng.IntN(benchCities)),
			fmt.Sprintf("<p%d> <age> %d", p, 18+rng.IntN(70)),
			fmt.Sprintf("<p%d> <worksFor> <company%d>", p, rng.IntN(benchCompanies)))
		for k := 0; k < 6; k++ {
			out = append(out, fmt.Sprintf("<p%d> <likes> <item%d>", p, rng.IntN(benchItems)))
		}
	}
	return out
}

// benchQuery runs one query b.N times and reports latency percentiles,
// rows, and the lookups per RPC the views served meanwhile.
// benchHTTP reaches the API server's HTTP: plaintext, or HTTPS with the
// client certificate.
type benchHTTP struct {
	client *http.Client
	base   string
}

func benchQuery(b *testing.B, client wire.APIClient, web benchHTTP, text string) {
	rpcs0, items0 := viewLookupCounters(b, web)
	var lat []time.Duration
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		n, err := runBenchQuery(client, text)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		rows = n
	}
	b.StopTimer()
	rpcs1, items1 := viewLookupCounters(b, web)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(rows), "rows")
	if rpcs1 > rpcs0 {
		b.ReportMetric((items1-items0)/(rpcs1-rpcs0), "lookups/rpc")
		b.ReportMetric((rpcs1-rpcs0)/float64(b.N), "rpcs/query")
	}
}

func runBenchQuery(client wire.APIClient, text string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := client.Query(ctx, &wire.QueryRequest{Query: text})
	if err != nil {
		return 0, err
	}
	rows := 0
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows += len(chunk.Rows)
	}
}

// viewLookupCounters sums the views' lookup RPC and item counters from
// /metrics (akutan local registers every view there).
func viewLookupCounters(b *testing.B, web benchHTTP) (rpcs, items float64) {
	resp, err := web.client.Get(web.base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "akutan_view_lookup_rpcs_total{"):
			rpcs += v
		case strings.HasPrefix(line, "akutan_view_lookup_items_total{"):
			items += v
		}
	}
	return rpcs, items
}
