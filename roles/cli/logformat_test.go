package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestLogFormat(t *testing.T) {
	ctx := func(format string) *cli.Context {
		set := flag.NewFlagSet("test", flag.ContinueOnError)
		set.String("log-level", "info", "")
		set.String("log-format", format, "")
		return cli.NewContext(NewApp(), set, nil)
	}
	// json: one JSON object a line, on standard error.
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = f
	log, err := logger(ctx("json"))
	if err == nil {
		log.Info().Str("role", "api").Msg("api serving")
	}
	os.Stderr = stderr
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	var line map[string]any
	if err := json.Unmarshal(b, &line); err != nil || line["message"] != "api serving" || line["level"] != "info" || line["time"] == nil {
		t.Errorf("--log-format json wrote %q (%v); want one JSON object with level, time and message", b, err)
	}
	if _, err := logger(ctx("console")); err != nil {
		t.Errorf("--log-format console: %v", err)
	}
	if _, err := logger(ctx("xml")); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("--log-format xml: %v; want an error naming the flag", err)
	}
	// Every server command takes it.
	for _, name := range []string{"log", "view", "api", "local"} {
		if findFlag(findCommand(NewApp().Commands, name).Flags, "log-format") == nil {
			t.Errorf("akutan %s has no --log-format", name)
		}
	}
}
