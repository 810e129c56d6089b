// Package fanout sends one logical request to the views that cover a set
// of points in a hash space.
//
// It knows nothing of lookups: callers give it points and a function that
// asks one view about some of them. Fanout picks, for each point, a random
// view among those that cover it, groups the points by view so each view
// gets one call, runs the calls in parallel, and retries the points of a
// failed call on other views. Because a call's results are reported only
// when the call succeeds, retries never duplicate results.
package fanout
