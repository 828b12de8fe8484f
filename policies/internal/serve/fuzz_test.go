package serve

import (
	"strings"
	"testing"
)

// FuzzParseArgs parses any command line the engine (or a person) could start the plugin with: no
// panic, and either at most two positional arguments or an error.
func FuzzParseArgs(f *testing.F) {
	for _, args := range []string{
		"127.0.0.1:12345\x00.", "--logtostderr\x00-v=9\x00127.0.0.1:1", "--tracing\x00http://t\x00127.0.0.1:1\x00/pack",
		"-tracing", "a\x00b\x00c", "", "-", "--", "-config=x\x00--tracing",
	} {
		f.Add(args)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		got, err := ParseArgs(args)
		if err != nil {
			if err.Error() == "" {
				t.Error("an empty error")
			}
			return
		}
		for _, a := range []string{got.EngineAddress, got.PackDir} {
			if a != "" && strings.HasPrefix(a, "-") && a != "-" {
				t.Errorf("a flag %q taken as a positional argument", a)
			}
		}
	})
}
