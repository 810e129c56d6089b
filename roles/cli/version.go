package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/storage/logentry"
)

// Version and Commit may be set at build time:
//
//	go build -ldflags "-X github.com/akutan-dev/akutan/roles/cli.Version=1.2.3 -X github.com/akutan-dev/akutan/roles/cli.Commit=abc123" .
//
// Left empty, they come from the build information Go records (the module
// version, and the VCS revision of a build inside a Git checkout).
var (
	Version string
	Commit  string
)

// BuildInfo is what `akutan version` prints.
type BuildInfo struct {
	Version   string
	Commit    string
	GoVersion string
	// LogFormats are the log format versions this binary reads and writes
	// (see storage/logentry).
	MinLogFormat, MaxLogFormat uint32
}

// Build describes this binary.
func Build() BuildInfo {
	b := BuildInfo{Version: Version, Commit: Commit, GoVersion: runtime.Version(),
		MinLogFormat: logentry.FirstVersion, MaxLogFormat: logentry.MaxSupportedVersion}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if b.Commit == "" && rev != "" {
			b.Commit = rev
			if modified == "true" {
				b.Commit += "-dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		// GOFLAGS=-buildvcs=false (set on some machines), go run, and
		// builds outside a Git checkout record no revision.
		b.Commit = "unknown (built without VCS stamping: go build -buildvcs=true, or -ldflags -X ...cli.Commit=REV)"
	}
	return b
}

// Print writes the description, the version line first.
func (b BuildInfo) Print(w io.Writer) {
	fmt.Fprintf(w, "akutan version %s\n", b.Version)
	fmt.Fprintf(w, "commit: %s\n", b.Commit)
	fmt.Fprintf(w, "go: %s %s/%s\n", b.GoVersion, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "log format versions: %d to %d\n", b.MinLogFormat, b.MaxLogFormat)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit, Go version and supported log format versions",
		Action: func(c *cli.Context) error {
			Build().Print(c.App.Writer)
			return nil
		},
	}
}

func init() {
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version and exit (as akutan version)"}
	cli.VersionPrinter = func(c *cli.Context) { Build().Print(c.App.Writer) }
}
