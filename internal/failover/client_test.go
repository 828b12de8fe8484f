package failover

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

func TestSwitches(t *testing.T) {
	sw, err := Switches("ess-prod", "123456789012", []string{"us-east-1", "us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, []Switch{
		{Region: "us-east-1", Bucket: "ess-prod-stop-123456789012-us-west-2", BucketRegion: "us-west-2", Key: "drain/us-east-1"},
		{Region: "us-west-2", Bucket: "ess-prod-stop-123456789012-us-east-1", BucketRegion: "us-east-1", Key: "drain/us-west-2"},
	}, sw)
	assert.Equal(t, "ess-prod-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com", sw[0].FQDN())
	assert.Equal(t, "/drain/us-east-1", sw[0].ResourcePath())
	assert.Equal(t, "s3://ess-prod-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2)", sw[0].String())
	assert.Equal(t, stopswitch.BucketName("ess-prod", "123456789012", "us-west-2"), sw[0].Bucket)
	assert.Equal(t, stopswitch.ObjectKey("us-east-1"), sw[0].Key)
}

func TestSwitchesErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		deployment string
		regions    []string
		want       string
	}{
		{"none", "ess", nil, "exactly two regions, got 0"},
		{"one", "ess", []string{"us-east-1"}, "exactly two regions, got 1 (us-east-1)"},
		{"three", "ess", []string{"us-east-1", "us-west-2", "eu-west-1"}, "exactly two regions, got 3"},
		{"same twice", "ess", []string{"us-east-1", "us-east-1"}, "us-east-1 twice"},
		{"bad region", "ess", []string{"us-east-1", "US_WEST"}, `region "US_WEST" is not an AWS region name`},
		{"empty region", "ess", []string{"us-east-1", ""}, `region "" is not an AWS region name`},
		{"empty deployment", "", []string{"us-east-1", "us-west-2"}, `deployment name ""`},
		{"dotted deployment", "ess.prod", []string{"us-east-1", "us-west-2"}, `deployment name "ess.prod"`},
		{"upper-case deployment", "ESS", []string{"us-east-1", "us-west-2"}, `deployment name "ESS"`},
		{"too long", strings.Repeat("a", 50), []string{"us-east-1", "us-west-2"}, "S3 allows 63"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw, err := Switches(tc.deployment, "123456789012", tc.regions)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, sw)
		})
	}
}

func TestNewClientRejectsBadSwitches(t *testing.T) {
	fakeaws.SetEnv(t)
	_, err := NewClient(context.Background(), nil, Options{})
	require.ErrorContains(t, err, "no drain switches")
	_, err = NewClient(context.Background(), []Switch{{Region: fakeaws.East}}, Options{})
	require.ErrorContains(t, err, "incomplete")
	s := Switch{Region: fakeaws.East, Bucket: "b", BucketRegion: fakeaws.West, Key: "k"}
	_, err = NewClient(context.Background(), []Switch{s, s}, Options{})
	require.ErrorContains(t, err, "us-east-1 has two drain switches")
}

func TestStatusAllServing(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	assert.Equal(t, []string{fakeaws.East, fakeaws.West}, c.Regions())

	states, err := c.Status(context.Background())
	require.NoError(t, err)
	require.Len(t, states, 2)
	assert.Equal(t, map[string]Condition{fakeaws.East: Serving, fakeaws.West: Serving}, conditions(states))
	assert.Equal(t, fakeaws.WestBucket, states[0].Bucket)
	assert.Equal(t, fakeaws.EastBucket, states[1].Bucket)
	for _, s := range states {
		assert.NoError(t, s.Err)
		assert.True(t, s.Since.IsZero())
	}
	for _, m := range f.TakeMethods() {
		assert.Equal(t, http.MethodHead, m, "status must only read")
	}
}

func TestDrainWritesObjectInPeerBucket(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())

	ch, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	assert.True(t, ch.Changed)
	assert.False(t, ch.Forced)
	assert.Equal(t, ActionDrain, ch.Action)
	assert.Equal(t, Serving, ch.Before)
	assert.Equal(t, Drained, ch.After)
	assert.Equal(t, Switch{Region: fakeaws.East, Bucket: fakeaws.WestBucket, BucketRegion: fakeaws.West, Key: "drain/us-east-1"}, ch.Switch)
	assert.Empty(t, ch.Notes)
	assert.Equal(t, "drain us-east-1: wrote s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2): serving → drained", ch.String())

	body, meta, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	require.True(t, ok, "drain object must be in the peer region's bucket")
	var rec map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &rec))
	assert.Equal(t, map[string]string{"region": fakeaws.East, "drainedAt": "2026-03-04T05:06:07Z", "by": "tester@testhost"}, rec)
	assert.Equal(t, "application/json", meta["Content-Type"])
	_, _, ok = f.Object(t, fakeaws.EastBucket, "drain/us-east-1")
	assert.False(t, ok, "nothing may be written in the drained region's own bucket")
	_, _, ok = f.Object(t, fakeaws.EastBucket, "drain/us-west-2")
	assert.False(t, ok, "the other region must stay untouched")

	states, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]Condition{fakeaws.East: Drained, fakeaws.West: Serving}, conditions(states))
	assert.True(t, states[0].Drained())
	assert.Equal(t, "tester@testhost", states[0].By)
	assert.Equal(t, fakeaws.Now(), states[0].Since)
}

func TestDrainAlreadyDrainedWritesNothing(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	f.TakeMethods()

	ch, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	assert.False(t, ch.Changed)
	assert.Equal(t, Drained, ch.Before)
	assert.Equal(t, Drained, ch.After)
	assert.Contains(t, ch.String(), "drain us-east-1: no change, already drained (s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2))")
	assert.Contains(t, ch.String(), "drained since 2026-03-04T05:06:07Z by tester@testhost")
	assert.NotContains(t, f.TakeMethods(), http.MethodPut)
}

func TestDrainLastRegionRefused(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	f.TakeMethods()

	ch, err := c.Drain(context.Background(), fakeaws.West, false)
	require.ErrorIs(t, err, ErrLastRegion)
	assert.Contains(t, err.Error(), "drain us-west-2: refusing to drain the last region still serving: us-west-2 is the last one (us-east-1 already drained)")
	assert.Contains(t, err.Error(), "--force overrides")
	assert.Contains(t, err.Error(), "nothing was written")
	assert.Equal(t, Change{}, ch)
	assert.NotContains(t, f.TakeMethods(), http.MethodPut)
	_, _, ok := f.Object(t, fakeaws.EastBucket, "drain/us-west-2")
	assert.False(t, ok, "a refused drain must write nothing")

	states, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]Condition{fakeaws.East: Drained, fakeaws.West: Serving}, conditions(states))
}

func TestDrainForceDrainsLastRegion(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)

	ch, err := c.Drain(context.Background(), fakeaws.West, true)
	require.NoError(t, err)
	assert.True(t, ch.Changed)
	assert.True(t, ch.Forced)
	assert.Equal(t, Switch{Region: fakeaws.West, Bucket: fakeaws.EastBucket, BucketRegion: fakeaws.East, Key: "drain/us-west-2"}, ch.Switch)
	require.Len(t, ch.Notes, 1)
	assert.Contains(t, ch.Notes[0], "--force: every region is now drained")
	_, _, ok := f.Object(t, fakeaws.EastBucket, "drain/us-west-2")
	assert.True(t, ok)

	states, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]Condition{fakeaws.East: Drained, fakeaws.West: Drained}, conditions(states))
}

func TestRestore(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)

	ch, err := c.Restore(context.Background(), fakeaws.East)
	require.NoError(t, err)
	assert.True(t, ch.Changed)
	assert.Equal(t, ActionRestore, ch.Action)
	assert.Equal(t, Drained, ch.Before)
	assert.Equal(t, Serving, ch.After)
	assert.Contains(t, ch.String(), "restore us-east-1: deleted s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2): drained → serving")
	assert.Contains(t, ch.String(), "was drained since 2026-03-04T05:06:07Z by tester@testhost")
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)
	states, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]Condition{fakeaws.East: Serving, fakeaws.West: Serving}, conditions(states))
	f.TakeMethods()

	ch, err = c.Restore(context.Background(), fakeaws.East)
	require.NoError(t, err)
	assert.False(t, ch.Changed)
	assert.Equal(t, Serving, ch.Before)
	assert.Equal(t, "restore us-east-1: no change, already serving (s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2))", ch.String())
	assert.NotContains(t, f.TakeMethods(), http.MethodDelete)
}

func TestUnknownRegion(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())

	_, err := c.Drain(context.Background(), "eu-west-1", true)
	require.ErrorIs(t, err, ErrUnknownRegion)
	assert.Contains(t, err.Error(), `"eu-west-1": the deployment's regions are us-east-1, us-west-2`)
	_, err = c.Restore(context.Background(), "eu-west-1")
	require.ErrorIs(t, err, ErrUnknownRegion)
	assert.Contains(t, err.Error(), "us-east-1, us-west-2")
	assert.Empty(t, f.TakeMethods(), "an unknown region must not reach S3")
}

func TestMissingBucketIsAnErrorNotServing(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.WestBucket) // east's bucket (holding drain/us-west-2) was never created
	c := newTestClient(t, f.URL())

	states, err := c.Status(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bucket ess-test-stop-123456789012-us-east-1 does not exist in us-east-1")
	assert.Equal(t, map[string]Condition{fakeaws.East: Serving, fakeaws.West: Unknown}, conditions(states))

	_, err = c.Drain(context.Background(), fakeaws.West, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "drain us-west-2: nothing was written")
	assert.NotContains(t, f.TakeMethods(), http.MethodPut)
}

// TestDrainWhilePeerS3IsDown drains a region whose own S3 (holding the
// other region's switch) answers 503: refused without --force, one write to
// the surviving region's bucket with it.
func TestDrainWhilePeerS3IsDown(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/"+fakeaws.EastBucket) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	c := newTestClient(t, f.URL())

	_, err := c.Drain(context.Background(), fakeaws.East, false)
	require.ErrorIs(t, err, ErrPeerUnknown)
	assert.Contains(t, err.Error(), "nothing was written")
	assert.Contains(t, err.Error(), "--force drains us-east-1 anyway")
	assert.Contains(t, err.Error(), "s3://ess-test-stop-123456789012-us-east-1/drain/us-west-2 (in us-east-1)")
	assert.Contains(t, err.Error(), "503")
	assert.NotContains(t, f.TakeMethods(), http.MethodPut)
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)

	ch, err := c.Drain(context.Background(), fakeaws.East, true)
	require.NoError(t, err)
	assert.True(t, ch.Changed)
	assert.True(t, ch.Forced)
	require.Len(t, ch.Notes, 1)
	assert.Contains(t, ch.Notes[0], "without knowing the state of 1 other region(s)")
	_, _, ok = f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.True(t, ok)
}

func TestServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := newTestClient(t, url)

	start := time.Now()
	states, err := c.Status(context.Background())
	require.Error(t, err)
	assert.Less(t, time.Since(start), 15*time.Second, "a dead server must fail fast")
	assert.Equal(t, map[string]Condition{fakeaws.East: Unknown, fakeaws.West: Unknown}, conditions(states))
	for _, want := range []string{fakeaws.WestBucket, "(in us-west-2)", fakeaws.EastBucket, "(in us-east-1)", "connection refused"} {
		assert.Contains(t, err.Error(), want)
	}

	start = time.Now()
	ch, err := c.Drain(context.Background(), fakeaws.East, true)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 15*time.Second)
	assert.Contains(t, err.Error(), "drain us-east-1: nothing was written")
	assert.Contains(t, err.Error(), "connection refused")
	assert.Equal(t, Change{}, ch)

	_, err = c.Restore(context.Background(), fakeaws.East)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "restore us-east-1: nothing was deleted")
}

func TestServerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name         string
		status       int
		body         string
		want         []string
		maxPerSwitch int32
	}{
		{"access denied", http.StatusForbidden,
			`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
			[]string{"403", "s3:ListBucket"}, 1},
		{"internal error", http.StatusInternalServerError,
			`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`,
			[]string{"500"}, DefaultMaxAttempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var nonHead, total atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				total.Add(1)
				if r.Method != http.MethodHead {
					nonHead.Add(1)
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(tc.status)
				if r.Method != http.MethodHead {
					_, _ = w.Write([]byte(tc.body))
				}
			}))
			t.Cleanup(srv.Close)
			c := newTestClient(t, srv.URL)

			start := time.Now()
			states, err := c.Status(context.Background())
			require.Error(t, err)
			assert.Less(t, time.Since(start), 15*time.Second)
			assert.Equal(t, map[string]Condition{fakeaws.East: Unknown, fakeaws.West: Unknown}, conditions(states))
			for _, want := range append([]string{fakeaws.WestBucket, "(in us-west-2)", fakeaws.EastBucket, "(in us-east-1)"}, tc.want...) {
				assert.Contains(t, err.Error(), want)
			}
			assert.LessOrEqual(t, total.Load(), 2*tc.maxPerSwitch, "attempts must be bounded")

			_, err = c.Drain(context.Background(), fakeaws.West, true)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "drain us-west-2: nothing was written")
			_, err = c.Restore(context.Background(), fakeaws.West)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "restore us-west-2: nothing was deleted")
			assert.Zero(t, nonHead.Load(), "nothing may be written or deleted when the status read fails")
		})
	}
}

// TestConcurrentDrainSameRegion: another run writes the switch between this
// run's read and its write; the conditional write keeps the first record.
func TestConcurrentDrainSameRegion(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			f.Put(t, fakeaws.WestBucket, "drain/us-east-1", `{"by":"other"}`)
		}
		return false
	})
	c := newTestClient(t, f.URL())

	ch, err := c.Drain(context.Background(), fakeaws.East, false)
	require.NoError(t, err)
	assert.False(t, ch.Changed)
	assert.Equal(t, Serving, ch.Before)
	assert.Equal(t, Drained, ch.After)
	assert.Contains(t, ch.String(), "another run drained the region first")
	body, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	require.True(t, ok)
	assert.Equal(t, `{"by":"other"}`, body, "the first drain record must not be overwritten")
}

// TestConcurrentDrainOtherRegion: another run drains the other region
// between this run's check and its write. This run sees it when it re-reads
// the other switch, deletes the version it wrote and says so; with --force it
// keeps its switch and warns.
func TestConcurrentDrainOtherRegion(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			f.Put(t, fakeaws.EastBucket, "drain/us-west-2", `{"by":"other"}`)
		}
		return false
	})
	c := newTestClient(t, f.URL())

	ch, err := c.Drain(context.Background(), fakeaws.East, false)
	require.ErrorIs(t, err, ErrConcurrentDrain)
	assert.NotErrorIs(t, err, ErrRollbackFailed)
	assert.Equal(t, Change{}, ch)
	for _, want := range []string{
		"drain us-east-1: a concurrent drain of the other region won: us-west-2 was drained while this run was draining us-east-1",
		"this run deleted the switch it had written (s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2), version ",
		"nothing is left drained by this run",
		"run status, then rerun the drain",
	} {
		assert.Contains(t, err.Error(), want)
	}
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok, "the rolled-back switch must be gone")
	assert.Len(t, f.Versions(fakeaws.WestBucket, "drain/us-east-1"), 0, "exactly the version written was deleted, no delete marker added")
	_, _, ok = f.Object(t, fakeaws.EastBucket, "drain/us-west-2")
	assert.True(t, ok, "the other run's drain stands")

	// --force: the switch stays, with a warning.
	f.SetIntercept(nil)
	_, err = c.Restore(context.Background(), fakeaws.West)
	require.NoError(t, err)
	f.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "drain/us-east-1") {
			f.Put(t, fakeaws.EastBucket, "drain/us-west-2", `{"by":"other"}`)
		}
		return false
	})
	ch, err = c.Drain(context.Background(), fakeaws.East, true)
	require.NoError(t, err)
	assert.True(t, ch.Changed)
	require.Len(t, ch.Notes, 1)
	assert.Contains(t, ch.Notes[0], "WARNING: every region is drained now")
	assert.Contains(t, ch.Notes[0], "restore --region us-east-1")
}

func TestCancelledContext(t *testing.T) {
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	c := newTestClient(t, f.URL())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := c.Status(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	_, err = c.Drain(ctx, fakeaws.East, true)
	require.ErrorIs(t, err, context.Canceled)
	_, _, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	assert.False(t, ok)
}

func TestSlowServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	fakeaws.SetEnv(t)
	sw, err := Switches(fakeaws.Deployment, fakeaws.Account, fakeaws.Regions())
	require.NoError(t, err)
	c, err := NewClient(context.Background(), sw, Options{Endpoint: srv.URL, MaxAttempts: 2, AttemptTimeout: 200 * time.Millisecond})
	require.NoError(t, err)

	start := time.Now()
	_, err = c.Status(context.Background())
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, err.Error(), fakeaws.WestBucket)
}
