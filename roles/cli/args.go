package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// Interspersed returns args with the flags of the command they run moved
// before its positional arguments, so that flags may follow them:
// `akutan query --api H:P --explain FILE --format tsv` parses as
// `akutan query --api H:P --explain --format tsv FILE`. (urfave/cli, like
// Go's flag package, stops parsing flags at the first positional
// argument.) It knows which flags take a value from the command's flag
// definitions; everything after "--" stays positional. Arguments it
// cannot place (no command, a command with its own flag parsing, shell
// completion) are returned unchanged.
func Interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == "--generate-bash-completion" {
		return args
	}
	cmds := app.Commands
	var leaf *cli.Command
	i := 1
	for i < len(args) && leaf == nil {
		cmd := findCommand(cmds, args[i])
		if cmd == nil {
			return args
		}
		i++
		if len(cmd.Subcommands) == 0 {
			leaf = cmd
		}
		cmds = cmd.Subcommands
	}
	if leaf == nil || leaf.SkipFlagParsing {
		return args
	}
	var flags, positional []string
	dashes := false
	rest := args[i:]
	for j := 0; j < len(rest); j++ {
		tok := rest[j]
		switch {
		case tok == "--":
			positional = append(positional, rest[j+1:]...)
			dashes = true
			j = len(rest)
		case len(tok) > 1 && tok[0] == '-':
			flags = append(flags, tok)
			name := strings.TrimLeft(tok, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := findFlag(leaf.Flags, name); f != nil && takesValue(f) && j+1 < len(rest) {
				flags = append(flags, rest[j+1])
				j++
			}
		default:
			positional = append(positional, tok)
		}
	}
	out := append(append([]string(nil), args[:i]...), flags...)
	if !dashes {
		for _, p := range positional {
			if len(p) > 1 && p[0] == '-' {
				dashes = true
			}
		}
	}
	if dashes && len(positional) > 0 {
		out = append(out, "--")
	}
	return append(out, positional...)
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	df, ok := f.(cli.DocGenerationFlag)
	return ok && df.TakesValue()
}

// flagString is the help line of a flag: urfave/cli's, without a default
// that says nothing (false, 0, 0s, "") or that the usage already states.
func flagString(orig cli.FlagStringFunc) cli.FlagStringFunc {
	return func(f cli.Flag) string {
		s := orig(f)
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			return s
		}
		def := df.GetDefaultText()
		suffix := " (default: " + def + ")"
		if def == "" || !strings.HasSuffix(s, suffix) {
			return s
		}
		switch {
		case def == "false" || def == "0" || def == "0s" || def == `""`,
			strings.Contains(strings.TrimSuffix(s, suffix), "(default"):
			return strings.TrimSuffix(s, suffix)
		}
		return s
	}
}

func init() {
	cli.FlagStringer = flagString(cli.FlagStringer)
}
