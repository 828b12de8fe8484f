//go:build linux || darwin || freebsd || netbsd || openbsd

package state

import (
	"math"
	"os"
	"syscall"
)

// mapFile maps an open file into memory, read-only, and returns its bytes and the function that unmaps
// them; no function for an empty or special file. An error says the file cannot be mapped (it may
// still be read).
func mapFile(f *os.File) ([]byte, func() error, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size == 0 || !st.Mode().IsRegular() || size > math.MaxInt {
		return nil, nil, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
