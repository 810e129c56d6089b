package cli

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// A placeholder names what a flag takes, in capitals (FILE, HOST:PORT,
// ID=HOST:PORT,..., DIR[,INCR,...], I/N, 0xSTART-0xEND).
var placeholderRE = regexp.MustCompile(`^(0x)?[A-Z][A-Z0-9_]*([:=,./\[\]\-]+(0x)?[A-Z0-9_]*)*(\.\.\.)?\]?$`)

func walkCommands(cmds []*cli.Command, path string, fn func(path string, c *cli.Command)) {
	for _, c := range cmds {
		p := strings.TrimSpace(path + " " + c.Name)
		fn(p, c)
		walkCommands(c.Subcommands, p, fn)
	}
}

// TestFlagHelpReadsWell checks every flag's help line: a flag taking a
// value shows a placeholder in capitals (not "value", nor a word of its
// usage picked up from backquotes), a boolean flag none, and the line
// states at most one default.
func TestFlagHelpReadsWell(t *testing.T) {
	walkCommands(NewApp().Commands, "", func(path string, c *cli.Command) {
		for _, f := range c.Flags {
			line := cli.FlagStringer(f)
			names, usage, _ := strings.Cut(line, "\t")
			if n := strings.Count(usage, "(default"); n > 1 {
				t.Errorf("akutan %s: %q states %d defaults", path, line, n)
			}
			var placeholders []string
			for _, part := range strings.Split(names, ", ") {
				fields := strings.Fields(part)
				if len(fields) > 1 {
					placeholders = append(placeholders, strings.Join(fields[1:], " "))
				}
			}
			if !takesValue(f) {
				if len(placeholders) > 0 {
					t.Errorf("akutan %s: boolean flag %q shows a placeholder (backquotes in its usage?)", path, line)
				}
				continue
			}
			if len(placeholders) == 0 {
				t.Errorf("akutan %s: %q shows no placeholder", path, line)
			}
			for _, p := range placeholders {
				if !placeholderRE.MatchString(p) {
					t.Errorf("akutan %s: %q: placeholder %q does not name what the flag takes", path, line, p)
				}
			}
		}
	})
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"akutan", "--version"}, {"akutan", "version"}} {
		app := NewApp()
		var out bytes.Buffer
		app.Writer = &out
		if err := app.Run(Interspersed(app, args)); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		lines := strings.Split(out.String(), "\n")
		if !strings.HasPrefix(lines[0], "akutan version ") {
			t.Errorf("%v: first line %q, want the version", args, lines[0])
		}
		for _, want := range []string{"commit: ", "go: go", "log format versions: 1 to "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out.String())
			}
		}
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -o", "zsh": "compdef _akutan akutan", "fish": "complete -c akutan"} {
		app := NewApp()
		var out bytes.Buffer
		app.Writer = &out
		if err := app.Run([]string{"akutan", "completion", shell}); err != nil {
			t.Fatalf("%s: %v", shell, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: script lacks %q", shell, want)
		}
	}
	app := NewApp()
	app.Writer = &bytes.Buffer{}
	if err := app.Run([]string{"akutan", "completion", "tcsh"}); err == nil {
		t.Error("completion tcsh: no error")
	}
}

func TestInterspersed(t *testing.T) {
	app := NewApp()
	for _, tc := range []struct{ in, want string }{
		{"akutan query --api H:P --explain FILE --format tsv", "akutan query --api H:P --explain --format tsv FILE"},
		{"akutan query FILE -e Q", "akutan query -e Q FILE"},
		{"akutan query --format=tsv FILE --timeout 5s", "akutan query --format=tsv --timeout 5s FILE"},
		{"akutan query --api H:P -- -weird --format", "akutan query --api H:P -- -weird --format"},
		{"akutan query - --format json", "akutan query --format json -"},
		{"akutan insert data.tsv --api H:P", "akutan insert --api H:P data.tsv"},
		{"akutan ctl log status --log H:P", "akutan ctl log status --log H:P"},
		{"akutan --version", "akutan --version"},
		{"akutan nosuch a --b", "akutan nosuch a --b"},
		{"akutan query FILE --generate-bash-completion", "akutan query FILE --generate-bash-completion"},
	} {
		got := strings.Join(Interspersed(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("Interspersed(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFlagsAfterArguments runs a command with its flags after its
// argument: they are parsed, not taken as more arguments.
func TestFlagsAfterArguments(t *testing.T) {
	app := NewApp()
	var got []string
	var format string
	cmd := findCommand(app.Commands, "query")
	cmd.Before = nil
	cmd.Action = func(c *cli.Context) error {
		got, format = c.Args().Slice(), c.String("format")
		return nil
	}
	if err := app.Run(Interspersed(app, strings.Fields("akutan query --api H:P --explain FILE --format tsv"))); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"FILE"}) || format != "tsv" {
		t.Errorf("args %q, --format %q; want [FILE], tsv", got, format)
	}
}
