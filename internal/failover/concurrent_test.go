package failover

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
)

// gate holds every request that arrives at it until want requests have
// arrived, or until release is called (a run that finished without arriving
// must not keep the other waiting).
type gate struct {
	mu   sync.Mutex
	n    int
	want int
	open chan struct{}
	once sync.Once
}

func newGate(want int) *gate { return &gate{want: want, open: make(chan struct{})} }

func (g *gate) arrive() {
	g.mu.Lock()
	g.n++
	if g.n >= g.want {
		g.release()
	}
	g.mu.Unlock()
	<-g.open
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// lockedRand is a rand.Rand safe for the server's goroutines.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) delay(limit time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.r.Int64N(int64(limit)))
}

// drainRun is what one concurrent drain reported.
type drainRun struct {
	region string
	ch     Change
	err    error
}

// TestConcurrentDrainsNeverDrainBoth runs two drains without --force at the
// same moment, one per region, as two operators would, many times: with
// random delays injected into S3's HEAD and PUT answers, and, in every other
// trial, with both PUTs held until both have arrived (the interleaving in
// which both runs pass their first check before either writes). No trial may
// end with both regions drained, and each run's report must match what it
// left behind: success means its switch is set, a rollback or a refusal means
// it is not.
func TestConcurrentDrainsNeverDrainBoth(t *testing.T) {
	fakeaws.SetEnv(t)
	const trials = 200
	outcomes := map[string]int{}
	for trial := range trials {
		f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
		rng := &lockedRand{r: rand.New(rand.NewPCG(uint64(trial), 42))}
		gated := trial%2 == 0
		g := newGate(2)
		f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
			switch {
			case r.Method == http.MethodPut && gated:
				g.arrive()
			case r.Method == http.MethodPut || r.Method == http.MethodHead:
				time.Sleep(rng.delay(2 * time.Millisecond))
			}
			return false
		})
		sw, err := Switches(fakeaws.Deployment, fakeaws.Account, fakeaws.Regions())
		require.NoError(t, err)
		runs := []drainRun{{region: fakeaws.East}, {region: fakeaws.West}}
		var wg sync.WaitGroup
		for k := range runs {
			c, err := NewClient(context.Background(), sw, Options{Endpoint: f.URL(), Route53Endpoint: "http://127.0.0.1:1", Actor: "operator-" + runs[k].region, Now: fakeaws.Now})
			require.NoError(t, err)
			wg.Go(func() {
				defer g.release()
				runs[k].ch, runs[k].err = c.Drain(context.Background(), runs[k].region, false)
			})
		}
		wg.Wait()

		_, _, eastDrained := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
		_, _, westDrained := f.Object(t, fakeaws.EastBucket, "drain/us-west-2")
		require.False(t, eastDrained && westDrained, "trial %d (gated %v): both regions drained: %+v", trial, gated, runs)
		drained := map[string]bool{fakeaws.East: eastDrained, fakeaws.West: westDrained}
		for _, run := range runs {
			outcome := checkRunReport(t, trial, run, drained[run.region])
			outcomes[outcome]++
		}
	}
	t.Logf("outcomes of %d runs: %v", 2*trials, outcomes)
}

// checkRunReport asserts that a run's report matches whether its region's
// switch is set at the end, and names the outcome.
func checkRunReport(t *testing.T, trial int, run drainRun, switchSet bool) string {
	t.Helper()
	switch {
	case run.err == nil:
		require.True(t, run.ch.Changed, "trial %d: %s: a successful drain here writes the switch: %v", trial, run.region, run.ch)
		require.Equal(t, Drained, run.ch.After)
		require.Contains(t, run.ch.String(), "drain "+run.region+": wrote ")
		require.True(t, switchSet, "trial %d: %s reported drained, but its switch is not set", trial, run.region)
		return "drained"
	case errors.Is(run.err, ErrConcurrentDrain):
		require.NotErrorIs(t, run.err, ErrRollbackFailed)
		require.Contains(t, run.err.Error(), "this run deleted the switch it had written")
		require.Contains(t, run.err.Error(), "nothing is left drained by this run")
		require.False(t, switchSet, "trial %d: %s reported a rollback, but its switch is set", trial, run.region)
		return "rolled back"
	case errors.Is(run.err, ErrLastRegion):
		require.Contains(t, run.err.Error(), "nothing was written")
		require.False(t, switchSet, "trial %d: %s reported nothing written, but its switch is set", trial, run.region)
		return "refused"
	default:
		t.Fatalf("trial %d: %s: unexpected outcome: %v", trial, run.region, run.err)
		return ""
	}
}

// concurrentPeerDrain makes the fake drain us-west-2 (as another run would)
// right after this run's PUT of us-east-1's switch.
func concurrentPeerDrain(t *testing.T, f *fakeaws.S3) {
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/drain/us-east-1") {
			f.Put(t, fakeaws.EastBucket, "drain/us-west-2", `{"by":"other"}`)
		}
		return false
	})
}

// TestDrainRollbackDeletesOnlyItsVersion: the rollback deletes the version
// this run wrote, not the key: earlier history (a restore's delete marker)
// stays, and an object another tool wrote on top stays current.
func TestDrainRollbackDeletesOnlyItsVersion(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	ctx := context.Background()
	_, err := c.Drain(ctx, fakeaws.East, false)
	require.NoError(t, err)
	_, err = c.Restore(ctx, fakeaws.East)
	require.NoError(t, err)
	history := f.Versions(fakeaws.WestBucket, "drain/us-east-1")
	require.Len(t, history, 2, "a drain and a restore's delete marker")

	concurrentPeerDrain(t, f)
	_, err = c.Drain(ctx, fakeaws.East, false)
	require.ErrorIs(t, err, ErrConcurrentDrain)
	assert.Equal(t, history, f.Versions(fakeaws.WestBucket, "drain/us-east-1"), "only the version this run wrote is gone")
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)

	// Another tool overwrites the switch (unconditionally) between this
	// run's write and its rollback: the other tool's object stays.
	f.SetIntercept(nil)
	_, err = c.Restore(ctx, fakeaws.West)
	require.NoError(t, err)
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/drain/us-east-1") {
			f.Put(t, fakeaws.EastBucket, "drain/us-west-2", `{"by":"other"}`)
		}
		// The re-read of the other switch comes right after this run's write.
		if r.Method == http.MethodHead && strings.HasSuffix(r.URL.Path, "/drain/us-west-2") {
			if _, _, on := f.Object(t, fakeaws.WestBucket, "drain/us-east-1"); on && len(f.Versions(fakeaws.WestBucket, "drain/us-east-1")) == len(history)+1 {
				f.Put(t, fakeaws.WestBucket, "drain/us-east-1", `{"by":"console"}`)
			}
		}
		return false
	})
	_, err = c.Drain(ctx, fakeaws.East, false)
	require.ErrorIs(t, err, ErrConcurrentDrain)
	body, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	require.True(t, ok, "the object another tool wrote must stay")
	assert.Equal(t, `{"by":"console"}`, body)
}

// TestDrainRollbackWithoutVersioning: in a bucket without versioning, the
// rollback deletes the object only while it is still the one written
// (If-Match on its ETag).
func TestDrainRollbackWithoutVersioning(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	f.SetVersioning(fakeaws.WestBucket, false)
	c := newTestClient(t, f.URL())
	concurrentPeerDrain(t, f)
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.ErrorIs(t, err, ErrConcurrentDrain)
	assert.Contains(t, err.Error(), "ETag ")
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)
}

// TestDrainRollbackFails: when the rollback cannot delete, the error says the
// region is still drained and how to restore it.
func TestDrainRollbackFails(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/drain/us-east-1"):
			f.Put(t, fakeaws.EastBucket, "drain/us-west-2", `{"by":"other"}`)
		case r.Method == http.MethodDelete:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
			return true
		}
		return false
	})
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.ErrorIs(t, err, ErrConcurrentDrain)
	require.ErrorIs(t, err, ErrRollbackFailed)
	for _, want := range []string{"403", "s3:DeleteObjectVersion", "us-east-1 is still drained", "essha failover restore --region us-east-1"} {
		assert.Contains(t, err.Error(), want)
	}
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.True(t, ok, "the report says the switch is still set, and it is")
}

// TestDrainPeerUnreadableAfterWrite: if the other switch cannot be re-read
// after the write, nobody can tell whether a concurrent drain of it won, so
// the run takes its switch back.
func TestDrainPeerUnreadableAfterWrite(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	var mu sync.Mutex
	wrote := false
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPut {
			wrote = true
		}
		if wrote && r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/"+fakeaws.EastBucket) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.ErrorIs(t, err, ErrPeerUnknown)
	assert.NotErrorIs(t, err, ErrConcurrentDrain)
	for _, want := range []string{"after writing the switch", "503", "nothing is left drained by this run", "add --force if the other region is down"} {
		assert.Contains(t, err.Error(), want)
	}
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)
}

// TestDrainRetriesConditionalConflict: S3 answers a conditional write that
// races another operation on the key with 409 ConditionalRequestConflict and
// asks for a retry.
func TestDrainRetriesConditionalConflict(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	var mu sync.Mutex
	puts := 0
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPut {
			return false
		}
		puts++
		if puts > 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict</Code><Message>A conflicting operation occurred.</Message></Error>`)
		return true
	})
	ch, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	assert.True(t, ch.Changed)
	assert.Equal(t, 2, puts)
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.True(t, ok)
}

// TestDrainRecognisesItsOwnWriteWhenTheAnswerIsLost: S3 applies the write
// but the answer is lost (here: a 500 after the write), so the SDK retries
// the conditional write and gets 412. The run must see that the object is
// its own, not another run's, and still take it back if the other region was
// drained meanwhile.
func TestDrainRecognisesItsOwnWriteWhenTheAnswerIsLost(t *testing.T) {
	loseFirstAnswer := func(f *fakeaws.S3, alsoDrainPeer bool) *int {
		var mu sync.Mutex
		puts := 0
		f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/drain/us-east-1") {
				return false
			}
			puts++
			if puts > 1 {
				return false
			}
			f.Serve(httptest.NewRecorder(), r) // the write takes effect...
			if alsoDrainPeer {
				f.Put(t, fakeaws.EastBucket, "drain/us-west-2", `{"by":"other"}`)
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError) // ...but its answer is lost
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
			return true
		})
		return &puts
	}

	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	puts := loseFirstAnswer(f, false)
	ch, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	assert.Equal(t, 2, *puts, "the SDK retried the write")
	assert.True(t, ch.Changed, "the object is this run's write")
	assert.NotContains(t, ch.String(), "another run")
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.True(t, ok)

	f = fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c = newTestClient(t, f.URL())
	loseFirstAnswer(f, true)
	_, err = c.Drain(context.Background(), fakeaws.East, false)
	require.ErrorIs(t, err, ErrConcurrentDrain, "its own write, so it must check the other region and take it back")
	_, _, ok = f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)
	_, _, ok = f.Object(t, fakeaws.EastBucket, "drain/us-west-2")
	assert.True(t, ok)
}
