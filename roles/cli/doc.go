// Package cli is akutan's command line: one subcommand per role (log, view,
// api), local for a whole cluster in one process, and the client commands
// (insert, query). Every flag of a subcommand may also come from the TOML
// file named by --config, under the same key; flags win over the file.
package cli
