// Package viewstoretest damages view stores on purpose, for tests of how
// views detect and recover from corruption.
package viewstoretest
