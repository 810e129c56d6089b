// Package parser turns Akutan query text and TSV insert text into syntax
// trees. It resolves nothing: external names stay names until the engine
// maps them to KIDs at the query's log index.
package parser
