// Package testutil holds the helpers every test may share. It imports
// nothing from this module, so that any package's tests can use it
// without an import cycle.
package testutil
