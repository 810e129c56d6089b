// Package harness helps integration tests run real akutan processes.
//
// A test package builds the akutan binary once, usually from TestMain with
// Build, then starts servers with Start, talks to them, kills or restarts them
// (Process.Kill, Process.Stop, Process.Restart) and runs one-shot CLI commands
// with Run. FreeAddr and FreeAddrs hand out loopback addresses for the servers
// to listen on; WaitTCP waits for them to come up (tests wait for a cluster
// to converge with internal/testutil.Eventually).
//
// Every process is killed when its test ends, and the tail of its output is
// logged if the test failed; the full output stays in a file under the test's
// temporary directory (Process.LogPath).
package harness
