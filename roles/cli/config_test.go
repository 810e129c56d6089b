package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// configApp is an app with one command "srv" taking --config, and a
// second command "other" whose flags "space" and "logs" srv does not have. run records
// the context srv's action saw.
func configApp(got **cli.Context) *cli.App {
	srv := withConfig(&cli.Command{
		Name: "srv",
		Flags: []cli.Flag{
			str("http-addr", "127.0.0.1:1", "usage"),
			str("log", "", "usage"),
			str("tls.cert", "", "a dotted flag, set by a nested table"),
			num("batch", 10, "usage"),
			dur("timeout", time.Second, "usage"),
			&cli.BoolFlag{Name: "join", Usage: "a plain (not altsrc) flag"},
		},
		Action: func(c *cli.Context) error { *got = c; return nil },
	})
	other := withConfig(&cli.Command{Name: "other", Flags: []cli.Flag{str("space", "", "usage"), str("logs", "", "near srv's --log")},
		Action: func(*cli.Context) error { return nil }})
	return &cli.App{Name: "akutan", Commands: []*cli.Command{srv, other}}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "srv.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigSetsFlagsCommandLineWins(t *testing.T) {
	path := writeConfig(t, `
http-addr = "10.0.0.1:80"
log = ["a:1", "b:2"]
batch = 500
timeout = "3s"
join = true
log-level = "debug"
[tls]
cert = "/etc/akutan/server.pem"
`)
	var c *cli.Context
	if err := configApp(&c).Run([]string{"akutan", "srv", "--config", path, "--batch", "7"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"http-addr": "10.0.0.1:80", "log": "a:1,b:2", "tls.cert": "/etc/akutan/server.pem", "log-level": "debug"}
	for name, v := range want {
		if got := c.String(name); got != v {
			t.Errorf("--%s = %q, want %q", name, got, v)
		}
	}
	if c.Uint64("batch") != 7 {
		t.Errorf("--batch = %d, want 7: the command line wins over the file", c.Uint64("batch"))
	}
	if c.Duration("timeout") != 3*time.Second || !c.Bool("join") {
		t.Errorf("--timeout %v --join %v, want 3s and true", c.Duration("timeout"), c.Bool("join"))
	}
	if p, ok := fromConfigFile(c, "http-addr"); !ok || p != path {
		t.Errorf("fromConfigFile(http-addr) = %q, %v; want the file", p, ok)
	}
	if _, ok := fromConfigFile(c, "batch"); ok {
		t.Error("fromConfigFile(batch) says the file set it; the command line did")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // in the error
		not        []string
	}{
		{name: "Typo", text: `http-adress = "x"`,
			want: []string{`unknown key "http-adress" for akutan srv (did you mean "http-addr"?)`}},
		{name: "OtherCommandsKey", text: "space = \"hashsp\"\nbatch = 1",
			want: []string{`unknown key "space" for akutan srv`, "flag of akutan other"}},
		{name: "OtherCommandsKeyNearOwn", text: `logs = "x"`, // another command's flag, not a typo of --log
			want: []string{`unknown key "logs" for akutan srv (it is a flag of akutan other`}, not: []string{"did you mean"}},
		{name: "UnknownTable", text: "[gossip]\naddr = \"x\"",
			want: []string{`unknown key "gossip.addr"`}},
		{name: "Several", text: "aa = 1\nzz = 2",
			want: []string{`unknown key "aa"`, `unknown key "zz"`}},
		{name: "BadValue", text: `timeout = "soon"`,
			want: []string{`key "timeout"`, "soon"}},
		{name: "Syntax", text: "http-addr = \n",
			want: []string{"line 1"}},
		{name: "ConfigInConfig", text: `config = "other.toml"`,
			want: []string{`"config" cannot be set`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			var c *cli.Context
			err := configApp(&c).Run([]string{"akutan", "srv", "--config", path})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config "+path+": ") {
				t.Errorf("error %q does not start with the file", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(msg, w) {
					t.Errorf("error %q has %q", msg, w)
				}
			}
			if c != nil {
				t.Error("the action ran")
			}
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	var c *cli.Context
	err := configApp(&c).Run([]string{"akutan", "srv", "--config", path})
	if err == nil || err.Error() != "config "+path+": no such file" {
		t.Fatalf("error %v, want one line naming the file", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"http-adress", "http-addr", 4}, {"grpc-addr", "grcp-addr", 2}, {"log", "log", 0}} {
		if d := editDistance(tc.a, tc.b); d != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
}

// TestInsertFormatFromConfig: a format from the config file never
// overrides what an input's extension says (it wins, with a warning); it
// applies when the name says nothing, and --format on the command line
// always wins.
func TestInsertFormatFromConfig(t *testing.T) {
	path := writeConfig(t, `format = "tsv"`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", path, "x.nt"}, "ntriples"},
		{[]string{"--config", path, "x.ttl.gz"}, "turtle"},
		{[]string{"--config", path, "-"}, "tsv"},
		{[]string{"--config", path, "--format", "turtle", "x.nt"}, "turtle"},
		{[]string{"x.nt"}, "ntriples"},
		{[]string{"x.data"}, "tsv"},
	} {
		var got string
		cmd := insertCommand()
		cmd.Action = func(c *cli.Context) error { got = inputFormat(c, c.Args().First()); return nil }
		app := &cli.App{Name: "akutan", Commands: []*cli.Command{cmd}}
		if err := app.Run(append([]string{"akutan", "insert"}, tc.args...)); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got != tc.want {
			t.Errorf("%v: format %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestDeployConfigs: every example config under deploy/config loads into
// its command without an error (unknown keys would be one).
func TestDeployConfigs(t *testing.T) {
	files, err := filepath.Glob("../../deploy/config/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	app := NewApp()
	for _, f := range files {
		role := strings.TrimSuffix(filepath.Base(f), ".toml")
		cmd := app.Command(role)
		if cmd == nil {
			t.Errorf("%s: no command %q", f, role)
			continue
		}
		values, err := readConfig(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := checkConfigKeys(f, app, cmd, values); err != nil {
			t.Error(err)
		}
	}
}
