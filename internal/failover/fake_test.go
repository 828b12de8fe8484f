package failover

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
)

// Test deployment: region east's switch lives in west's bucket and vice versa.
const (
	testDeployment = "ess-test"
	testAccount    = "123456789012"
	east           = "us-east-1"
	west           = "us-west-2"
	eastBucket     = "ess-test-stop-123456789012-us-east-1" // holds drain/us-west-2
	westBucket     = "ess-test-stop-123456789012-us-west-2" // holds drain/us-east-1
)

var testRegions = []string{east, west}

// testNow is the time recorded in drain objects written by test clients.
func testNow() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }

// fakeS3 is an in-memory S3-compatible server on loopback that records the
// requests it receives and lets a test intercept them.
type fakeS3 struct {
	backend *s3mem.Backend
	srv     *httptest.Server

	mu        sync.Mutex
	requests  []string // "METHOD /bucket/key"
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// newFakeS3 starts a fake S3 holding the given (empty) buckets.
func newFakeS3(t *testing.T, buckets ...string) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	for _, b := range buckets {
		require.NoError(t, f.backend.CreateBucket(b))
	}
	handler := gofakes3.New(f.backend).Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		icpt := f.intercept
		f.mu.Unlock()
		if icpt != nil && icpt(w, r) {
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// setIntercept installs fn, which handles a request itself by returning true.
func (f *fakeS3) setIntercept(fn func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intercept = fn
}

// methods returns the methods of the requests received so far, and forgets them.
func (f *fakeS3) takeMethods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m []string
	for _, r := range f.requests {
		m = append(m, strings.Fields(r)[0])
	}
	f.requests = nil
	return m
}

// object returns the body and metadata of bucket/key, or ok=false.
func (f *fakeS3) object(t *testing.T, bucket, key string) (body string, meta map[string]string, ok bool) {
	t.Helper()
	obj, err := f.backend.GetObject(bucket, key, nil)
	if err != nil {
		require.True(t, gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey), "unexpected backend error: %v", err)
		return "", nil, false
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	return string(b), obj.Metadata, true
}

// put writes bucket/key directly into the backend, bypassing HTTP. It may
// run in a server goroutine, so it reports failure with t.Errorf only.
func (f *fakeS3) put(t *testing.T, bucket, key, body string) {
	t.Helper()
	if _, err := f.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader([]byte(body)), int64(len(body)), nil); err != nil {
		t.Errorf("writing %s/%s into the fake backend: %v", bucket, key, err)
	}
}

// fakeAWSEnv points the SDK's standard chain at fake static credentials and
// away from any real configuration, instance metadata or endpoint.
func fakeAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
		"AWS_CA_BUNDLE":               "",
	} {
		t.Setenv(k, v)
	}
}

// newTestClient returns a Client for the test deployment talking to endpoint.
func newTestClient(t *testing.T, endpoint string) *Client {
	t.Helper()
	fakeAWSEnv(t)
	sw, err := Switches(testDeployment, testAccount, testRegions)
	require.NoError(t, err)
	c, err := NewClient(context.Background(), sw, Options{Endpoint: endpoint, Actor: "tester@testhost", Now: testNow})
	require.NoError(t, err)
	return c
}

// conditions maps region to condition.
func conditions(states []State) map[string]Condition {
	m := map[string]Condition{}
	for _, s := range states {
		m[s.Region] = s.Condition
	}
	return m
}
