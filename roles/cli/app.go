package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
	"golang.org/x/term"
)

// DefaultAPIAddr is where clients find the API unless told otherwise.
const DefaultAPIAddr = "127.0.0.1:9987"

// NewApp returns the akutan command line.
func NewApp() *cli.App {
	return &cli.App{
		Name:    "akutan",
		Usage:   "a distributed knowledge graph store",
		Version: Build().Version,
		Commands: []*cli.Command{
			logCommand(), viewCommand(), apiCommand(), localCommand(),
			insertCommand(), deleteCommand(), updateCommand(), queryCommand(), sparqlCommand(), sparqlUpdateCommand(), statusCommand(), exportCommand(), changesCommand(), ctlCommand(),
			versionCommand(), completionCommand(),
		},
		HideHelpCommand:      true,
		EnableBashCompletion: true,
	}
}

// withConfig adds --config and --log-level to a command's flags and loads
// the TOML file into every flag the command line did not set; a key that
// is not one of the command's flags is an error (see config.go).
func withConfig(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags,
		&cli.StringFlag{Name: "config", Usage: "read flags from this TOML `FILE` (keys are this command's flag names; flags win)"},
		str("log-level", "info", "log `LEVEL`: debug, info, warn, error"),
	)
	cmd.Before = applyConfigFile
	return cmd
}

func str(name, value, usage string) cli.Flag {
	return altsrc.NewStringFlag(&cli.StringFlag{Name: name, Value: value, Usage: usage})
}

func num(name string, value uint64, usage string) cli.Flag {
	return altsrc.NewUint64Flag(&cli.Uint64Flag{Name: name, Value: value, Usage: usage})
}

func dur(name string, value time.Duration, usage string) cli.Flag {
	return altsrc.NewDurationFlag(&cli.DurationFlag{Name: name, Value: value, Usage: usage})
}

// logger builds the process logger from --log-level.
func logger(c *cli.Context) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(c.String("log-level"))
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("--log-level: %w", err)
	}
	switch c.String("log-format") {
	case "json":
		return zerolog.New(os.Stderr).Level(level).With().Timestamp().Logger(), nil
	case "", "console":
	default:
		return zerolog.Nop(), fmt.Errorf("--log-format %q: want console or json", c.String("log-format"))
	}
	// Colour codes only help on a terminal; in a log file they are noise.
	plain := !term.IsTerminal(int(os.Stderr.Fd()))
	out := zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.RFC3339, NoColor: plain}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// list splits a comma-separated flag value, dropping empty items.
func list(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseMembers reads --initial-members: 1=H:P,2=H:P,3=H:P.
func parseMembers(s string) (map[uint64]string, error) {
	members := map[uint64]string{}
	for _, item := range list(s) {
		id, addr, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("--initial-members: %q is not ID=HOST:PORT", item)
		}
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("--initial-members: %q: replica ID must be a positive integer", item)
		}
		if _, dup := members[n]; dup {
			return nil, fmt.Errorf("--initial-members: replica ID %d appears twice", n)
		}
		members[n] = addr
	}
	return members, nil
}

// required reports the first missing required flag.
func required(c *cli.Context, names ...string) error {
	for _, n := range names {
		if c.String(n) == "" {
			return fmt.Errorf("--%s is required", n)
		}
	}
	return nil
}
