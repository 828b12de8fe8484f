package analyzer

import (
	"fmt"
	"io"
	"runtime/debug"
)

// guard runs one policy call and turns a panic into an error, so a failing policy can be reported
// as such while the others still run and the process stays up. The panic's stack goes to log, which
// the engine shows as the plugin's standard error.
func guard(log io.Writer, policyName string, call func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
			if log != nil {
				fmt.Fprintf(log, "policy %s panicked: %v\n%s\n", policyName, v, debug.Stack())
			}
		}
	}()
	return call()
}
