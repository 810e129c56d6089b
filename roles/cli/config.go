package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"
)

// Config files (--config FILE) are TOML: each key is the name of one flag
// of the command that reads the file, and sets that flag unless the command
// line (or an environment variable) already did. A nested table [a] with
// key b sets the flag "a.b"; an array sets a comma-separated flag to its
// items joined with commas.
//
// A key that is not a flag of the command is an error naming the key and
// the file, not something skipped: a typo ("http-adress") or a setting
// meant for another role in a server's file would otherwise be dropped
// silently and the server would run with a default the operator never
// chose. So each role has its own file (deploy/config/).

// configKeysMeta is the App.Metadata key under which applyConfigFile records
// where the flags it set came from (a *configSource), so that a command
// can tell a value from the file apart from one typed on the command line.
const configKeysMeta = "akutan/config"

// configSource is what one --config file set.
type configSource struct {
	path string
	keys map[string]bool // flag names set from the file
}

// applyConfigFile is the Before of every command that takes --config: it reads
// the file and sets every flag the command line did not set.
func applyConfigFile(c *cli.Context) error {
	path := c.String("config")
	if path == "" {
		return nil
	}
	values, err := readConfig(path)
	if err != nil {
		return err
	}
	if err := checkConfigKeys(path, c.App, c.Command, values); err != nil {
		return err
	}
	src := &configSource{path: path, keys: map[string]bool{}}
	for _, key := range sortedKeys(values) {
		f := lookupFlag(c.Command.Flags, key)
		name := f.Names()[0]
		if c.IsSet(name) {
			continue // the command line wins
		}
		if err := c.Set(name, values[key]); err != nil {
			return fmt.Errorf("config %s: key %q: invalid value %q: %w", path, key, values[key], err)
		}
		src.keys[name] = true
	}
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]interface{}{}
	}
	c.App.Metadata[configKeysMeta] = src
	return nil
}

// fromConfigFile reports whether the flag name took its value from the
// --config file, and which file.
func fromConfigFile(c *cli.Context, name string) (path string, ok bool) {
	src, _ := c.App.Metadata[configKeysMeta].(*configSource)
	if src == nil || !src.keys[name] {
		return "", false
	}
	return src.path, true
}

// readConfig parses a TOML file into flag values keyed by their dotted
// key path.
func readConfig(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("config %s: no such file", path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("config %s: permission denied", path)
	case err != nil:
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var doc map[string]interface{}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("config %s: line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	values := map[string]string{}
	if err := flatten(path, "", doc, values); err != nil {
		return nil, err
	}
	return values, nil
}

// flatten turns nested tables into dotted keys and every value into the
// text a flag parses.
func flatten(path, prefix string, table map[string]interface{}, out map[string]string) error {
	for k, v := range table {
		key := prefix + k
		if sub, ok := v.(map[string]interface{}); ok {
			if err := flatten(path, key+".", sub, out); err != nil {
				return err
			}
			continue
		}
		text, err := flagText(v)
		if err != nil {
			return fmt.Errorf("config %s: key %q: %w", path, key, err)
		}
		out[key] = text
	}
	return nil
}

// flagText is a TOML value as a flag's command-line text.
func flagText(v interface{}) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case []interface{}:
		items := make([]string, len(v))
		for i, item := range v {
			text, err := flagText(item)
			if err != nil {
				return "", err
			}
			if strings.Contains(text, ",") {
				return "", fmt.Errorf("array item %q contains a comma", text)
			}
			items[i] = text
		}
		return strings.Join(items, ","), nil
	}
	return "", fmt.Errorf("a %T cannot set a flag: use a string, number, boolean or array", v)
}

// checkConfigKeys refuses every key that is not a flag of cmd, naming the
// file, the key, and the commands the key belongs to, or else the nearest
// flag name (a likely typo).
func checkConfigKeys(path string, app *cli.App, cmd *cli.Command, values map[string]string) error {
	var problems []string
	for _, key := range sortedKeys(values) {
		if key == "config" {
			problems = append(problems, `key "config" cannot be set in a config file`)
			continue
		}
		if lookupFlag(cmd.Flags, key) != nil {
			continue
		}
		msg := fmt.Sprintf("unknown key %q for akutan %s", key, cmd.FullName())
		if others := commandsWithFlag(app, key); len(others) > 0 {
			msg += fmt.Sprintf(" (it is a flag of akutan %s: each command reads its own config file)", strings.Join(others, ", akutan "))
		} else if near := nearestFlag(cmd.Flags, key); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		problems = append(problems, msg)
	}
	if len(problems) > 0 {
		return fmt.Errorf("config %s: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// lookupFlag finds the flag called name (or one of its aliases) among
// flags, ignoring --help and --config, which a file cannot set.
func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	if name == "help" || name == "h" || name == "config" {
		return nil
	}
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// nearestFlag is the name of flags closest to key by edit distance, if one
// is close enough to be a likely typo.
func nearestFlag(flags []cli.Flag, key string) string {
	best, bestDist := "", -1
	for _, f := range flags {
		for _, name := range f.Names() {
			if name == "help" || name == "h" || name == "config" {
				continue
			}
			d := editDistance(key, name)
			if bestDist < 0 || d < bestDist {
				best, bestDist = name, d
			}
		}
	}
	if bestDist < 0 || bestDist > max(2, len(key)*2/5) {
		return ""
	}
	return best
}

// commandsWithFlag lists the commands (by full name, "ctl log add") that
// have a flag called name.
func commandsWithFlag(app *cli.App, name string) []string {
	var out []string
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			full := prefix + cmd.Name
			if lookupFlag(cmd.Flags, name) != nil {
				out = append(out, full)
			}
			walk(full+" ", cmd.Subcommands)
		}
	}
	if app != nil {
		walk("", app.Commands)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
