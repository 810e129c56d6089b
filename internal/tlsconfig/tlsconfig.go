package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Files names the PEM files of one side of a link.
type Files struct {
	Cert string // this side's certificate chain
	Key  string // its private key
	CA   string // the CA that signs every peer's certificate
}

// Enabled reports whether any file is named: TLS is off when none is.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// check reports which file is missing when some, but not all, are named.
func (f Files) check() error {
	switch {
	case f.Cert == "":
		return errors.New("--tls-cert is required with --tls-key or --tls-ca")
	case f.Key == "":
		return errors.New("--tls-key is required with --tls-cert or --tls-ca")
	case f.CA == "":
		return errors.New("--tls-ca is required with --tls-cert or --tls-key: peers are verified against it")
	}
	return nil
}

// reloadCheckEvery bounds how often a Source stats its files.
const reloadCheckEvery = time.Second

// Source holds a certificate and key pair loaded from files and reloads it
// when either file's modification time changes.
type Source struct {
	files Files
	log   zerolog.Logger
	pool  *x509.CertPool
	now   func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	certMod   time.Time
	keyMod    time.Time
	lastCheck time.Time
}

// Load reads the files; it fails if they are incomplete or unreadable.
func Load(files Files, log zerolog.Logger) (*Source, error) {
	if err := files.check(); err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, fmt.Errorf("reading the TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("reading the TLS CA: %s holds no PEM certificate", files.CA)
	}
	s := &Source{files: files, log: log, pool: pool, now: time.Now}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Files are the files the Source reads, for a library that takes paths
// (Dragonboat's Raft transport reads them itself, once, at start).
func (s *Source) Files() Files { return s.files }

// CAPool is the pool of the CA file.
func (s *Source) CAPool() *x509.CertPool { return s.pool }

// reload reads the pair if either file changed since the last load.
func (s *Source) reload() error {
	ci, err := os.Stat(s.files.Cert)
	if err != nil {
		return fmt.Errorf("reading the TLS certificate: %w", err)
	}
	ki, err := os.Stat(s.files.Key)
	if err != nil {
		return fmt.Errorf("reading the TLS key: %w", err)
	}
	if s.cert != nil && ci.ModTime().Equal(s.certMod) && ki.ModTime().Equal(s.keyMod) {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(s.files.Cert, s.files.Key)
	if err != nil {
		return fmt.Errorf("loading the TLS certificate %s and key %s: %w", s.files.Cert, s.files.Key, err)
	}
	if s.cert != nil {
		s.log.Info().Str("cert", s.files.Cert).Msg("TLS certificate changed on disk: new connections use the new one")
	}
	s.cert, s.certMod, s.keyMod = &cert, ci.ModTime(), ki.ModTime()
	return nil
}

// Certificate is the current pair, reloaded first if the files changed;
// a failed reload is logged and the previous pair kept.
func (s *Source) Certificate() *tls.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.lastCheck) >= reloadCheckEvery {
		s.lastCheck = now
		if err := s.reload(); err != nil {
			s.log.Warn().Err(err).Msg("keeping the previous TLS certificate")
		}
	}
	return s.cert
}

// Server is the config of a listener: it requires a client certificate
// signed by the CA and logs every refused handshake with the reason.
func (s *Source) Server() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs:  s.pool,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.Certificate(), nil
		},
	}
}

// Client is the config of a dialer: it trusts only the CA and presents
// this side's certificate.
func (s *Source) Client() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    s.pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return s.Certificate(), nil
		},
	}
}

// HTTPListener wraps l so that every connection is a TLS server
// connection with s.Server(); give the http.Server ErrorLog(log) so that
// refused handshakes are logged with their reason.
func (s *Source) HTTPListener(l net.Listener) net.Listener {
	return tls.NewListener(l, s.Server())
}

// ErrorLog is a standard logger writing to log at warning level: for
// http.Server.ErrorLog, where net/http reports TLS handshake errors
// ("http: TLS handshake error from ADDR: REASON").
func ErrorLog(log zerolog.Logger) *stdlog.Logger {
	return stdlog.New(warnWriter{log}, "", 0)
}

type warnWriter struct{ log zerolog.Logger }

func (w warnWriter) Write(p []byte) (int, error) {
	w.log.Warn().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

// ServerCredentials are the gRPC transport credentials of a listener:
// s.Server(), with every refused handshake logged with its reason.
func (s *Source) ServerCredentials() credentials.TransportCredentials {
	return &loggedCreds{TransportCredentials: credentials.NewTLS(s.Server()), log: s.log}
}

// ClientCredentials are the gRPC transport credentials of a dialer.
func (s *Source) ClientCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(s.Client())
}

// DialOptions are the gRPC dial options of a client of another role: its
// TLS credentials, given after a client's defaults (the last transport
// credentials given win). A nil Source gives none: plaintext, as before.
func (s *Source) DialOptions() []grpc.DialOption {
	if s == nil {
		return nil
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(s.ClientCredentials())}
}

type loggedCreds struct {
	credentials.TransportCredentials
	log zerolog.Logger
}

func (c *loggedCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	tc, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		c.log.Warn().Err(err).Str("peer", conn.RemoteAddr().String()).Msg("refused a TLS connection")
	}
	return tc, info, err
}

func (c *loggedCreds) Clone() credentials.TransportCredentials {
	return &loggedCreds{TransportCredentials: c.TransportCredentials.Clone(), log: c.log}
}
