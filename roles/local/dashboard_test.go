package local

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestGrafanaDashboard checks that deploy/grafana/akutan.json is valid
// JSON whose panels chart the metrics akutan serves.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../../deploy/grafana/akutan.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("akutan.json: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, metric := range []string{"akutan_log_append_latency_seconds_bucket", "akutan_view_log_lag_entries",
		"akutan_api_request_seconds_bucket", "go_goroutines"} {
		if !strings.Contains(all, metric) {
			t.Errorf("no panel charts %s", metric)
		}
	}
}
