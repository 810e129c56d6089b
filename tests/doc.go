// Package tests holds Akutan's end-to-end tests: they build the akutan
// binary once and run real processes (log replicas, views, API servers, or
// `akutan local`) on free loopback ports, then drive them through the
// command line and HTTP exactly as a user would. Crashes are kill -9.
package tests
