package loader

import (
	"bufio"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

// Input is a load's input text. It decompresses gzip (found by its magic
// number) and counts the bytes read from the underlying reader, which is
// what a progress display compares with a file's size.
type Input struct {
	text    io.Reader
	counted *countingReader
}

// NewInput reads r, decompressing it if it is gzip.
func NewInput(r io.Reader) (*Input, error) {
	counted := &countingReader{r: r}
	br := bufio.NewReaderSize(counted, 1<<16)
	in := &Input{text: br, counted: counted}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		in.text = gz
	}
	return in, nil
}

// Read reads the (decompressed) text.
func (in *Input) Read(p []byte) (int, error) { return in.text.Read(p) }

// BytesRead is how many bytes of the underlying reader were read so far.
func (in *Input) BytesRead() int64 { return in.counted.n.Load() }

// countingReader counts the bytes read through it; the count may be read
// from other goroutines.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
