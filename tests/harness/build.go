package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// buildTimeout bounds one go build of the akutan binary.
const buildTimeout = 10 * time.Minute

// RepoRoot returns the directory holding the repository's go.mod, found by
// walking up from this source file (or, failing that, from the working
// directory).
func RepoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		if root, ok := testutil.FindGoMod(dir); ok {
			return root, nil
		}
	}
	return "", errors.New("harness: cannot find the repository root (no go.mod above the harness source or working directory)")
}

// Build compiles the repository's root package into dir/akutan and returns
// the binary's path. Call it once per test binary, from TestMain, and remove
// dir after m.Run:
//
//	func TestMain(m *testing.M) {
//		dir, _ := os.MkdirTemp("", "akutan-bin-")
//		bin, err := harness.Build(dir)
//		...
//		code := m.Run()
//		os.RemoveAll(dir)
//		os.Exit(code)
//	}
func Build(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "akutan")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("harness: go build in %s: %w\n%s", root, err, out)
	}
	return bin, nil
}

// EnvBinary names an environment variable that, when set, gives the path of
// an already built akutan binary for BuildBinary to use instead of building.
const EnvBinary = "AKUTAN_BIN"

// built caches BuildBinary's result for the whole test process. It is
// package state on purpose: Go builds one test binary per package, so this
// builds at most once per package under test.
var built struct {
	once sync.Once
	bin  string
	err  error
}

// BuildBinary returns the path of an akutan binary, building it on first use
// and reusing it for the rest of the test process (see built). The binary
// goes into a directory under os.TempDir that is not removed; prefer Build
// from TestMain where that matters. It uses $AKUTAN_BIN if set.
func BuildBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(EnvBinary); bin != "" {
		return bin
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "akutan-bin-")
		if err != nil {
			built.err = fmt.Errorf("harness: make build directory: %w", err)
			return
		}
		built.bin, built.err = Build(dir)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}
