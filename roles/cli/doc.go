// Package cli is akutan's command line: one subcommand per role (log, view,
// api), local for a whole cluster in one process, and the client commands
// (insert, query). A query's answer is printed only once the server has
// sent all of it, so a query that fails part-way prints its error and no
// rows, and exits non-zero. Every flag of a subcommand may also come from the TOML
// file named by --config, under the same key; flags win over the file.
package cli
