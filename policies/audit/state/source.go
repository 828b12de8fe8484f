package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// source gives the decoders the bytes of a range of the document. The outline is walked over the whole
// document once; the resources are then read range by range, so that a file's bytes need not stay in
// memory, whole, while they are decoded.
type source interface {
	// read returns the bytes [start, end) of the document, in buf when it has to copy them.
	read(buf []byte, start, end int) ([]byte, error)
}

// memory is a document held in memory.
type memory []byte

func (m memory) read(_ []byte, start, end int) ([]byte, error) { return m[start:end], nil }

// file is a document read from an open file.
type file struct{ *os.File }

func (f file) read(buf []byte, start, end int) ([]byte, error) {
	buf = buf[:0]
	if n := end - start; cap(buf) < n {
		buf = make([]byte, n, n+n/4)
	}
	buf = buf[:end-start]
	if _, err := f.ReadAt(buf, int64(start)); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is shorter than when its outline was read: it changed while it was read")
		}
		return nil, err
	}
	return buf, nil
}

// ReadFile reads and checks a state file.
func ReadFile(ctx context.Context, path string) (*File, error) {
	return ReadFileWith(ctx, path, path, Options{})
}

// ReadFileWith is ReadFile with options; name names the file in messages. The file is never held in memory whole: its outline is walked
// through a read-only memory map (where the system has one), which is released before the resources are
// read and decoded, a range at a time, so that a large state costs the memory of its decoded resources
// only.
func ReadFileWith(ctx context.Context, name, path string, opts Options) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	defer fh.Close() //nolint:errcheck // read-only: closing cannot lose data
	data, unmap, err := mapFile(fh)
	if err != nil || unmap == nil { // no memory map here (or for this file), or an empty file: read it whole
		if data, err = io.ReadAll(fh); err != nil {
			return nil, fmt.Errorf("reading the state file %s: %w", name, err)
		}
		return ParseWith(ctx, name, data, opts)
	}
	released := false
	release := func() error {
		if released {
			return nil
		}
		released = true
		return unmap()
	}
	defer release() //nolint:errcheck // only on an early error; the first release reports its error
	return parseMapped(ctx, name, data, file{fh}, release, opts)
}

// parseMapped parses a document that is mapped into memory: a file that shrinks while it is mapped
// faults on reading, which becomes an error instead of a crash.
func parseMapped(ctx context.Context, path string, data []byte, src source, release func() error, opts Options) (f *File, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			f, err = nil, &Error{Path: path, What: fmt.Sprintf("the file changed while it was read: %v", v)}
		}
	}()
	return parse(ctx, path, data, src, release, opts)
}
