// Package fakeaws provides in-process fakes of the two AWS APIs the failover command calls, served
// over HTTP on loopback for tests: S3 (gofakes3's protocol layer over a versioned in-memory store
// that follows Amazon S3's documented versioning semantics) and Route 53's health-check API.
//
// It is for tests only; nothing in the essha binary imports it.
package fakeaws

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// S3 is an S3-compatible server on loopback. Its buckets are versioned, as the stacks make the
// stop buckets, unless SetVersioning turns it off. It records the requests it receives and lets a
// test intercept or delay them.
type S3 struct {
	store   *store
	srv     *httptest.Server
	handler http.Handler

	mu        sync.Mutex
	requests  []string // "METHOD /bucket/key"
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// NewS3 starts a fake S3 holding the given empty, versioned buckets; it stops when t ends.
func NewS3(t testing.TB, buckets ...string) *S3 {
	t.Helper()
	f := &S3{store: newStore()}
	for _, b := range buckets {
		if err := f.store.CreateBucket(b); err != nil {
			t.Fatalf("creating bucket %s: %v", b, err)
		}
	}
	handler := gofakes3.New(f.store).Server()
	f.handler = handler
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		icpt := f.intercept
		f.mu.Unlock()
		if icpt != nil && icpt(w, r) {
			return
		}
		if r.Method == http.MethodDelete && r.Header.Get("If-Match") != "" && !r.URL.Query().Has("versionId") {
			f.conditionalDelete(w, r)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the server's base URL, the endpoint override for the S3 client.
func (f *S3) URL() string { return f.srv.URL }

// SetIntercept installs fn, which handles a request itself by returning true (or delays it and
// returns false). fn runs on the server's goroutines.
func (f *S3) SetIntercept(fn func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intercept = fn
}

// Serve serves r as the fake S3 would without the intercept: an intercept
// may let the request take effect and then answer the client otherwise.
func (f *S3) Serve(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }

// SetVersioning turns versioning of bucket on or off (off: a never-versioned bucket, whose puts
// return no version ID and overwrite in place).
func (f *S3) SetVersioning(bucket string, on bool) {
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	if b := f.store.buckets[bucket]; b != nil {
		b.versioned = on
	}
}

// TakeMethods returns the methods of the requests received so far, and forgets them.
func (f *S3) TakeMethods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m []string
	for _, r := range f.requests {
		m = append(m, strings.Fields(r)[0])
	}
	f.requests = nil
	return m
}

// Object returns the body and metadata of the current version of bucket/key, or ok=false when
// there is none (or it is a delete marker).
func (f *S3) Object(t testing.TB, bucket, key string) (body string, meta map[string]string, ok bool) {
	t.Helper()
	v := f.store.current(bucket, key)
	if v == nil || v.deleteMarker {
		return "", nil, false
	}
	return string(v.body), v.meta, true
}

// Put writes bucket/key directly into the store, bypassing HTTP, as another tool would. It may
// run on a server goroutine, so it reports failure with t.Errorf only.
func (f *S3) Put(t testing.TB, bucket, key, body string) {
	t.Helper()
	if _, err := f.store.PutObject(bucket, key, map[string]string{}, strings.NewReader(body), int64(len(body)), nil); err != nil {
		t.Errorf("writing %s/%s into the fake S3: %v", bucket, key, err)
	}
}

// Versions lists the version IDs of bucket/key, oldest first, delete markers as "<id> (delete marker)".
func (f *S3) Versions(bucket, key string) []string {
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	b := f.store.buckets[bucket]
	if b == nil {
		return nil
	}
	var out []string
	for _, v := range b.objects[key] {
		s := string(v.id)
		if v.deleteMarker {
			s += " (delete marker)"
		}
		out = append(out, s)
	}
	return out
}

// conditionalDelete serves DeleteObject with If-Match, which gofakes3 does not know: the current
// version is deleted only if its ETag matches (or, for "*", if it exists); otherwise 412. S3 has
// supported this on general purpose buckets since 2025:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
func (f *S3) conditionalDelete(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	match := r.Header.Get("If-Match")
	s := f.store
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		writeS3Error(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	cur := b.currentLocked(key)
	if cur == nil || cur.deleteMarker {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey")
		return
	}
	if match != "*" && strings.Trim(match, `"`) != fmt.Sprintf("%x", cur.hash) {
		writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed")
		return
	}
	if b.versioned {
		b.objects[key] = append(b.objects[key], &version{id: s.nextID(), deleteMarker: true, modified: time.Now()})
	} else {
		delete(b.objects, key)
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeS3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

// store is a gofakes3 backend that keeps every version of every object, with the semantics the
// failover command relies on, as Amazon S3 documents them:
//
//   - a PUT into a versioned bucket adds a version and returns its ID;
//   - a plain DELETE in a versioned bucket adds a delete marker, and an object whose current version
//     is a delete marker does not exist for HEAD, GET and If-None-Match;
//   - a DELETE of a specific version removes that version only, and the newest remaining version
//     becomes current (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html).
//     gofakes3's own s3mem backend leaves no current version there and then fails every read of
//     the key, which is why this store exists;
//   - If-None-Match: * fails with 412 when the current version exists, atomically with the write
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
type store struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	seq     int
}

type bucket struct {
	created   time.Time
	versioned bool
	objects   map[string][]*version // oldest first; the last one is current
}

type version struct {
	id           gofakes3.VersionID
	deleteMarker bool
	body         []byte
	hash         []byte
	meta         map[string]string
	modified     time.Time
}

var (
	_ gofakes3.Backend          = (*store)(nil)
	_ gofakes3.VersionedBackend = (*store)(nil)
)

func newStore() *store { return &store{buckets: map[string]*bucket{}} }

func (s *store) nextID() gofakes3.VersionID {
	s.seq++
	return gofakes3.VersionID(fmt.Sprintf("v%06d", s.seq))
}

func (b *bucket) currentLocked(key string) *version {
	vs := b.objects[key]
	if len(vs) == 0 {
		return nil
	}
	return vs[len(vs)-1]
}

func (s *store) current(bucketName, key string) *version {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return nil
	}
	return b.currentLocked(key)
}

func (v *version) object(name string, versioned, withBody bool) *gofakes3.Object {
	obj := &gofakes3.Object{
		Name:           name,
		Metadata:       v.meta,
		Size:           int64(len(v.body)),
		Hash:           v.hash,
		IsDeleteMarker: v.deleteMarker,
		Contents:       io.NopCloser(bytes.NewReader(nil)),
	}
	if versioned {
		obj.VersionID = v.id
	}
	if withBody {
		obj.Contents = io.NopCloser(bytes.NewReader(v.body))
	}
	return obj
}

// ListBuckets lists the buckets by name.
func (s *store) ListBuckets() ([]gofakes3.BucketInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []gofakes3.BucketInfo
	for name, b := range s.buckets {
		out = append(out, gofakes3.BucketInfo{Name: name, CreationDate: gofakes3.NewContentTime(b.created)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListBucket is not used by the failover command.
func (s *store) ListBucket(string, *gofakes3.Prefix, gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	return nil, gofakes3.ErrNotImplemented
}

// CreateBucket creates an empty, versioned bucket.
func (s *store) CreateBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[name] != nil {
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	s.buckets[name] = &bucket{created: time.Now(), versioned: true, objects: map[string][]*version{}}
	return nil
}

// BucketExists reports whether the bucket exists.
func (s *store) BucketExists(name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buckets[name] != nil, nil
}

// DeleteBucket is not used by the failover command.
func (s *store) DeleteBucket(string) error { return gofakes3.ErrNotImplemented }

// ForceDeleteBucket removes a bucket and everything in it.
func (s *store) ForceDeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets, name)
	return nil
}

func (s *store) get(bucketName, key string, withBody bool) (*gofakes3.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return nil, gofakes3.BucketNotFound(bucketName)
	}
	cur := b.currentLocked(key)
	if cur == nil || cur.deleteMarker {
		return nil, gofakes3.KeyNotFound(key)
	}
	return cur.object(key, b.versioned, withBody), nil
}

// GetObject returns the current version of the object (ranges are not supported).
func (s *store) GetObject(bucketName, key string, rnge *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	if rnge != nil {
		return nil, gofakes3.ErrNotImplemented
	}
	return s.get(bucketName, key, true)
}

// HeadObject returns the current version of the object, without its body.
func (s *store) HeadObject(bucketName, key string) (*gofakes3.Object, error) {
	return s.get(bucketName, key, false)
}

// DeleteObject adds a delete marker (versioned bucket) or removes the object.
func (s *store) DeleteObject(bucketName, key string) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return gofakes3.ObjectDeleteResult{}, gofakes3.BucketNotFound(bucketName)
	}
	if !b.versioned {
		delete(b.objects, key)
		return gofakes3.ObjectDeleteResult{}, nil
	}
	dm := &version{id: s.nextID(), deleteMarker: true, modified: time.Now()}
	b.objects[key] = append(b.objects[key], dm)
	return gofakes3.ObjectDeleteResult{IsDeleteMarker: true, VersionID: dm.id}, nil
}

// PutObject checks the conditions against the current version and writes a new version, in one
// step.
func (s *store) PutObject(bucketName, key string, meta map[string]string, input io.Reader, size int64, conditions *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	body, err := gofakes3.ReadAll(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	sum := md5.Sum(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return gofakes3.PutObjectResult{}, gofakes3.BucketNotFound(bucketName)
	}
	if conditions != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if cur := b.currentLocked(key); cur != nil && !cur.deleteMarker {
			info.Exists, info.Hash = true, cur.hash
		}
		if err := gofakes3.CheckPutConditions(conditions, info); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
	}
	v := &version{body: body, hash: sum[:], meta: meta, modified: time.Now()}
	if !b.versioned {
		b.objects[key] = []*version{v}
		return gofakes3.PutObjectResult{}, nil
	}
	v.id = s.nextID()
	b.objects[key] = append(b.objects[key], v)
	return gofakes3.PutObjectResult{VersionID: v.id}, nil
}

// DeleteMulti is not used by the failover command.
func (s *store) DeleteMulti(string, ...string) (gofakes3.MultiDeleteResult, error) {
	return gofakes3.MultiDeleteResult{}, gofakes3.ErrNotImplemented
}

// CopyObject copies the current version of an object.
func (s *store) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(s, srcBucket, srcKey, dstBucket, dstKey, meta)
}

// VersioningConfiguration reports whether the bucket is versioned.
func (s *store) VersioningConfiguration(bucketName string) (gofakes3.VersioningConfiguration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return gofakes3.VersioningConfiguration{}, gofakes3.BucketNotFound(bucketName)
	}
	var c gofakes3.VersioningConfiguration
	if b.versioned {
		c.Status = gofakes3.VersioningEnabled
	}
	return c, nil
}

// SetVersioningConfiguration turns versioning on or off.
func (s *store) SetVersioningConfiguration(bucketName string, c gofakes3.VersioningConfiguration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return gofakes3.BucketNotFound(bucketName)
	}
	b.versioned = c.Status == gofakes3.VersioningEnabled
	return nil
}

func (s *store) getVersion(bucketName, key string, id gofakes3.VersionID, withBody bool) (*gofakes3.Object, error) {
	if id == "" {
		return s.get(bucketName, key, withBody)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return nil, gofakes3.BucketNotFound(bucketName)
	}
	for _, v := range b.objects[key] {
		if v.id == id {
			return v.object(key, true, withBody), nil
		}
	}
	return nil, gofakes3.ErrNoSuchVersion
}

// GetObjectVersion returns one version of an object.
func (s *store) GetObjectVersion(bucketName, key string, id gofakes3.VersionID, rnge *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	if rnge != nil {
		return nil, gofakes3.ErrNotImplemented
	}
	return s.getVersion(bucketName, key, id, true)
}

// HeadObjectVersion returns one version of an object, without its body.
func (s *store) HeadObjectVersion(bucketName, key string, id gofakes3.VersionID) (*gofakes3.Object, error) {
	return s.getVersion(bucketName, key, id, false)
}

// DeleteObjectVersion permanently removes one version; the newest remaining one becomes current.
// A missing key or version is no error.
func (s *store) DeleteObjectVersion(bucketName, key string, id gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return gofakes3.ObjectDeleteResult{}, gofakes3.BucketNotFound(bucketName)
	}
	vs := b.objects[key]
	for i, v := range vs {
		if v.id != id {
			continue
		}
		b.objects[key] = append(vs[:i:i], vs[i+1:]...)
		if len(b.objects[key]) == 0 {
			delete(b.objects, key)
		}
		return gofakes3.ObjectDeleteResult{IsDeleteMarker: v.deleteMarker, VersionID: v.id}, nil
	}
	return gofakes3.ObjectDeleteResult{}, nil
}

// DeleteMultiVersions is not used by the failover command.
func (s *store) DeleteMultiVersions(string, ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	return gofakes3.MultiDeleteResult{}, gofakes3.ErrNotImplemented
}

// ListBucketVersions is not used by the failover command.
func (s *store) ListBucketVersions(string, *gofakes3.Prefix, *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	return nil, gofakes3.ErrNotImplemented
}
