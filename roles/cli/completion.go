package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// The bash and zsh scripts ask akutan itself for the candidates (the
// commands, or the flags after a "-"), through urfave/cli's hidden
// --generate-bash-completion flag.
const bashCompletion = `# bash completion for akutan: source <(akutan completion bash)
_akutan_complete() {
  local cur words request
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  if [[ "$cur" == "-"* ]]; then
    request="${words[*]} ${cur} --generate-bash-completion"
  else
    request="${words[*]} --generate-bash-completion"
  fi
  local opts
  opts=$(eval "${request}" 2>/dev/null)
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _akutan_complete akutan
`

const zshCompletion = `#compdef akutan
# zsh completion for akutan: source <(akutan completion zsh)
_akutan() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _akutan akutan
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Load it in the current shell with `source <(akutan completion bash)` (zsh alike), or\n" +
			"`akutan completion fish | source`; to keep it, write it to the shell's completion directory\n" +
			"(e.g. /etc/bash_completion.d/akutan, or ~/.config/fish/completions/akutan.fish).",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("completion takes one shell: bash, zsh or fish")
			}
			w := c.App.Writer
			switch shell := c.Args().First(); shell {
			case "bash":
				_, err := fmt.Fprint(w, bashCompletion)
				return err
			case "zsh":
				_, err := fmt.Fprint(w, zshCompletion)
				return err
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(w, s)
				return err
			default:
				return fmt.Errorf("completion: unknown shell %q (bash, zsh or fish)", shell)
			}
		},
	}
}
