package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SharedData returns the path of name (such as "lubm-1.nt.gz" or
// "w3c-rdf-tests/sparql11") in the shared data folder (see
// FindSharedData), skipping the test when it is not there.
func SharedData(t testing.TB, name string) string {
	t.Helper()
	path, tried := FindSharedData(name)
	if path == "" {
		t.Skipf("%s not found in the shared data folder (tried %s)", name, strings.Join(tried, ", "))
	}
	return path
}

// FindSharedData looks for name in $AKUTAN_DATA_DIR when set (for
// checkouts elsewhere, such as git worktrees), else in shared/data beside
// the repository's root (the folder holding go.mod), else in
// /work/shared/data. It returns "" and the paths tried when none has it.
func FindSharedData(name string) (path string, tried []string) {
	if dir := os.Getenv("AKUTAN_DATA_DIR"); dir != "" {
		tried = append(tried, filepath.Join(dir, name))
	}
	if root, ok := repoRoot(); ok {
		tried = append(tried, filepath.Join(filepath.Dir(root), "shared", "data", name))
	}
	tried = append(tried, filepath.Join("/work/shared/data", name))
	for _, c := range tried {
		if _, err := os.Stat(c); err == nil {
			return c, tried
		}
	}
	return "", tried
}

// repoRoot is the nearest folder at or above the working directory that
// holds go.mod.
func repoRoot() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	return FindGoMod(wd)
}

// FindGoMod walks up from dir to the first folder holding a go.mod.
func FindGoMod(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
