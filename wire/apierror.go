package wire

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrAPIUnreachable marks failures to reach an API server at all, so that
// a client's message can say where it looked.
var ErrAPIUnreachable = errors.New("cannot reach the API server")

// APIError explains a failed call to an API server for a person: what was
// being done and the server's message without gRPC's framing, naming the
// size limits when the request was too large. An unreachable server's
// error wraps ErrAPIUnreachable.
func APIError(what string, err error) error {
	s, ok := status.FromError(err)
	switch {
	case ok && s.Code() == codes.Unavailable:
		return fmt.Errorf("%s: %w (%s)", what, ErrAPIUnreachable, s.Message())
	case ok && s.Code() == codes.ResourceExhausted:
		return fmt.Errorf("%s: too large: %s (an API server accepts requests of up to %d bytes, %d MiB, and a reply message may be up to %d MiB)",
			what, s.Message(), MaxRequestBytes, MaxRequestBytes>>20, MaxMessageBytes>>20)
	case ok:
		return fmt.Errorf("%s: %s", what, s.Message())
	}
	return fmt.Errorf("%s: %w", what, err)
}
