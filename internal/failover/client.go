package failover

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Errors returned (wrapped, with details) by Drain, Restore and NewClient.
// Test for them with errors.Is.
var (
	// ErrLastRegion means the drain was refused because every other region
	// is already drained; Drain's force argument overrides it.
	ErrLastRegion = errors.New("refusing to drain the last region still serving")
	// ErrPeerUnknown means the drain was refused because the drain switch of
	// another region could not be read (typically: that region's S3 is down),
	// so it is unknown whether the drain would leave any region serving;
	// Drain's force argument overrides it.
	ErrPeerUnknown = errors.New("refusing to drain without knowing the other regions' state")
	// ErrUnknownRegion means a region name is not one of the deployment's.
	ErrUnknownRegion = errors.New("unknown region")
	// ErrConcurrentDrain means another run drained the other region while this
	// run was draining its region: this run removed the switch it had written
	// again, so the two runs cannot leave every region drained.
	ErrConcurrentDrain = errors.New("a concurrent drain of the other region won")
	// ErrRollbackFailed means a drain that had to be undone (ErrConcurrentDrain,
	// or ErrPeerUnknown after the write) could not delete the switch it wrote:
	// its region is still drained and the operator must restore it.
	ErrRollbackFailed = errors.New("could not remove the switch this run wrote")
)

// Defaults for Options.
const (
	DefaultMaxAttempts    = 3
	DefaultAttemptTimeout = 5 * time.Second
	// conflictRetries bounds the retries of a conditional write that S3
	// answers with 409 ConditionalRequestConflict.
	conflictRetries    = 3
	defaultDialTimeout = 3 * time.Second
	defaultMaxBackoff  = time.Second
	bodyContentType    = "application/json"
	metaDrainedAt      = "drained-at"
	metaDrainedBy      = "drained-by"
	// metaDrainID marks the object a run wrote with a random ID, so the run
	// can recognise its own write when the answer to it was lost.
	metaDrainID = "drain-id"
)

// Options configure a Client. The zero value is production use: endpoints
// and credentials from the AWS SDK's standard chain.
type Options struct {
	// Endpoint, if set, overrides the S3 base endpoint of every bucket
	// region (tests, local S3-compatible servers); path-style addressing is
	// then used.
	Endpoint string
	// Route53Endpoint, if set, overrides the Route 53 endpoint (tests).
	Route53Endpoint string
	// MaxAttempts bounds the attempts of each S3 call, retries included
	// (default DefaultMaxAttempts).
	MaxAttempts int
	// AttemptTimeout bounds each HTTP attempt (default DefaultAttemptTimeout).
	AttemptTimeout time.Duration
	// Actor is recorded in drain objects as who drained (default
	// user@hostname).
	Actor string
	// Now returns the time recorded in drain objects (default time.Now).
	Now func() time.Time
}

// Client reads and flips drain switches through the S3 data plane, with one
// S3 client per bucket region, and reads Route 53's view of them.
type Client struct {
	switches []Switch
	clients  map[string]*s3.Client // by bucket region
	route53  *route53.Client
	actor    string
	now      func() time.Time
}

// NewClient returns a Client for switches (normally the result of Switches).
// It loads the AWS SDK's default configuration (credentials, shared config,
// environment) once and makes one S3 client per bucket region, each with a
// bounded number of attempts so an unreachable S3 fails within seconds.
func NewClient(ctx context.Context, switches []Switch, opts Options) (*Client, error) {
	if err := validateSwitches(switches); err != nil {
		return nil, err
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	attemptTimeout := opts.AttemptTimeout
	if attemptTimeout <= 0 {
		attemptTimeout = DefaultAttemptTimeout
	}
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(attemptTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = min(defaultDialTimeout, attemptTimeout) }).
		WithTransportOptions(func(t *http.Transport) { t.ResponseHeaderTimeout = attemptTimeout })
	newRetryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = defaultMaxBackoff
		})
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(httpClient),
		config.WithRetryer(newRetryer),
	)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	c := &Client{
		switches: slices.Clone(switches),
		clients:  map[string]*s3.Client{},
		actor:    opts.Actor,
		now:      opts.Now,
	}
	if c.actor == "" {
		c.actor = defaultActor()
	}
	if c.now == nil {
		c.now = time.Now
	}
	for _, sw := range switches {
		if _, ok := c.clients[sw.BucketRegion]; ok {
			continue
		}
		region := sw.BucketRegion
		c.clients[region] = s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.Region = region
			o.Retryer = newRetryer()
			o.RetryMaxAttempts = attempts
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
				o.UsePathStyle = true
			}
		})
	}
	c.route53 = route53.NewFromConfig(cfg, func(o *route53.Options) {
		o.Region = route53Region
		o.Retryer = newRetryer()
		o.RetryMaxAttempts = attempts
		if opts.Route53Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Route53Endpoint)
		}
	})
	return c, nil
}

// defaultActor returns user@hostname, as far as they can be found.
func defaultActor() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return name + "@" + host
}

// Regions returns the regions the client knows, in order.
func (c *Client) Regions() []string { return regionNames(c.switches) }

// Condition is what a drain switch says about its region.
type Condition string

// Conditions of a region.
const (
	// Serving: the switch object is absent; the region takes traffic (if
	// its load balancer path is healthy).
	Serving Condition = "serving"
	// Drained: the switch object is present; Route 53 sends the region no
	// traffic.
	Drained Condition = "drained"
	// Unknown: the switch could not be read.
	Unknown Condition = "unknown"
)

// State is the observed state of one region's drain switch.
type State struct {
	Switch
	// Condition is Serving, Drained, or Unknown when Err is set.
	Condition Condition
	// Since is when the switch object was written (drained only).
	Since time.Time
	// By is who drained the region, as recorded in the object (drained
	// only; empty if the object was written by another tool).
	By string
	// Err is why the switch could not be read (Condition Unknown only).
	Err error
}

// Drained reports whether the switch was read and says the region is drained.
func (s State) Drained() bool { return s.Condition == Drained }

// Action is what a Change did or would have done.
type Action string

// Actions.
const (
	ActionDrain   Action = "drain"
	ActionRestore Action = "restore"
)

// Change reports what Drain or Restore did to one region's drain switch.
type Change struct {
	Action Action
	Switch Switch
	// Before and After are the region's condition before and after the run.
	Before, After Condition
	// Changed is true when the run wrote or deleted the switch object.
	Changed bool
	// Forced is true when a drain went ahead with --force.
	Forced bool
	// Notes are further facts the operator should see (overrides used,
	// concurrent runs detected).
	Notes []string
}

// String renders the change for the command's output, e.g.
// "drain us-east-1: wrote s3://d-stop-us-west-2/drain/us-east-1 (in us-west-2): serving → drained".
func (ch Change) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", ch.Action, ch.Switch.Region)
	switch {
	case ch.Changed && ch.Action == ActionDrain:
		fmt.Fprintf(&b, "wrote %s: %s → %s", ch.Switch, ch.Before, ch.After)
	case ch.Changed:
		fmt.Fprintf(&b, "deleted %s: %s → %s", ch.Switch, ch.Before, ch.After)
	default:
		fmt.Fprintf(&b, "no change, already %s (%s)", ch.After, ch.Switch)
	}
	for _, n := range ch.Notes {
		b.WriteString("\n  note: ")
		b.WriteString(n)
	}
	return b.String()
}

// lookup returns the index of region's switch, or an ErrUnknownRegion error
// listing the known regions.
func (c *Client) lookup(region string) (int, error) {
	for i, s := range c.switches {
		if s.Region == region {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w %q: the deployment's regions are %s", ErrUnknownRegion, region, strings.Join(c.Regions(), ", "))
}

// Status reads every region's drain switch (HeadObject, concurrently): an
// object that is present means drained, a missing object (in an existing
// bucket) means serving. It always returns one State per region, in order;
// if any switch could not be read, that State is Unknown with its Err set and
// the returned error joins every such failure, each naming the bucket, its
// region and the cause.
func (c *Client) Status(ctx context.Context) ([]State, error) {
	states := make([]State, len(c.switches))
	var wg sync.WaitGroup
	for i, sw := range c.switches {
		wg.Go(func() { states[i] = c.read(ctx, sw) })
	}
	wg.Wait()
	var errs []error
	for _, s := range states {
		if s.Err != nil {
			errs = append(errs, s.Err)
		}
	}
	return states, errors.Join(errs...)
}

// read reads one drain switch. It never guesses: anything but "object
// present" or "object absent from an existing bucket" is an Unknown state.
func (c *Client) read(ctx context.Context, sw Switch) State {
	st := State{Switch: sw, Condition: Unknown}
	cl := c.clients[sw.BucketRegion]
	out, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sw.Bucket), Key: aws.String(sw.Key)})
	switch {
	case err == nil:
		st.Condition = Drained
		if out.LastModified != nil {
			st.Since = *out.LastModified
		}
		st.By = out.Metadata[metaDrainedBy]
		if at, perr := time.Parse(time.RFC3339, out.Metadata[metaDrainedAt]); perr == nil {
			st.Since = at
		}
		return st
	case !isNotFound(err):
		st.Err = fmt.Errorf("reading drain switch of %s at %s: %w%s", sw.Region, sw, err, hint(err))
		return st
	}
	// A HEAD has no body, so a missing bucket also answers 404: make sure
	// the bucket exists before concluding that the region is serving.
	if _, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(sw.Bucket)}); err != nil {
		if isNotFound(err) {
			st.Err = fmt.Errorf("reading drain switch of %s at %s: bucket %s does not exist in %s (is the stack deployed there?)", sw.Region, sw, sw.Bucket, sw.BucketRegion)
		} else {
			st.Err = fmt.Errorf("reading drain switch of %s at %s: checking bucket %s: %w%s", sw.Region, sw, sw.Bucket, err, hint(err))
		}
		return st
	}
	st.Condition = Serving
	return st
}

// isNotFound reports whether err is S3's answer that an object or bucket
// does not exist.
func isNotFound(err error) bool {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	var nsb *types.NoSuchBucket
	if errors.As(err, &nf) || errors.As(err, &nsk) || errors.As(err, &nsb) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NotFound", "NoSuchKey", "NoSuchBucket":
			return true
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// hint adds advice for errors whose cause operators commonly misread.
func hint(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return " (telling a drained region from a serving one needs s3:GetObject on the switch object and s3:ListBucket on its bucket)"
	}
	return ""
}

// rollbackHint adds advice for a refused rollback.
func rollbackHint(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return " (taking back a drain deletes the object version written, which needs s3:DeleteObjectVersion on the switch object)"
	}
	return ""
}

// drainRecord is the body of a drain switch object.
type drainRecord struct {
	Region    string `json:"region"`
	DrainedAt string `json:"drainedAt"`
	By        string `json:"by"`
}

// Drain drains region: after reading the state of every region, it writes
// the region's switch object (one conditional PutObject, into the peer
// region's bucket, so it works while the drained region is down). Nothing is
// written when the region is already drained (the Change says so), when its
// own switch cannot be read, or, unless force, when every other region is
// already drained (ErrLastRegion) or another region's switch cannot be read
// (ErrPeerUnknown, the usual case while that region's S3 is down).
//
// Without force, Drain then reads the other regions' switches again: if one
// was drained meanwhile (ErrConcurrentDrain) or cannot be read any more
// (ErrPeerUnknown), it deletes the object version it wrote and fails, so
// concurrent drains of different regions never leave every region drained
// (see confirmOthersServing). If that delete fails too, the error also wraps
// ErrRollbackFailed and says how to restore the region.
func (c *Client) Drain(ctx context.Context, region string, force bool) (Change, error) {
	i, err := c.lookup(region)
	if err != nil {
		return Change{}, fmt.Errorf("drain: %w", err)
	}
	sw := c.switches[i]
	// Failures are in each State's Err, judged one by one below.
	states, _ := c.Status(ctx)
	self := states[i]
	if self.Err != nil {
		return Change{}, fmt.Errorf("drain %s: nothing was written: %w", region, self.Err)
	}
	ch := Change{Action: ActionDrain, Switch: sw, Before: self.Condition, After: self.Condition, Forced: force}
	if self.Drained() {
		ch.Notes = append(ch.Notes, drainedNote(self))
		return ch, nil
	}
	var serving []string
	var unknown []error
	var drained []string
	for j, s := range states {
		switch {
		case j == i:
		case s.Err != nil:
			unknown = append(unknown, s.Err)
		case s.Drained():
			drained = append(drained, s.Region)
		default:
			serving = append(serving, s.Region)
		}
	}
	if len(unknown) > 0 {
		if !force {
			return Change{}, fmt.Errorf("drain %s: %w; nothing was written; if the other region is down, --force drains %s anyway: %w",
				region, ErrPeerUnknown, region, errors.Join(unknown...))
		}
		ch.Notes = append(ch.Notes, fmt.Sprintf("--force: drained without knowing the state of %d other region(s): %v", len(unknown), errors.Join(unknown...)))
	}
	if len(serving) == 0 && len(unknown) == 0 {
		if !force {
			return Change{}, fmt.Errorf("drain %s: %w: %s is the last one (%s already drained); nothing was written; --force overrides",
				region, ErrLastRegion, region, strings.Join(drained, ", "))
		}
		ch.Notes = append(ch.Notes, "--force: every region is now drained; with every weighted record unhealthy, Route 53 answers with all of them, so traffic goes to every region again")
	}

	id, err := newDrainID()
	if err != nil {
		return Change{}, fmt.Errorf("drain %s: nothing was written: %w", region, err)
	}
	w, err := c.writeSwitch(ctx, sw, id)
	if err != nil {
		// The write failed, or only its answer was lost (the SDK's retry of
		// a write that took effect meets the object and gets 412): read the
		// switch back to know which.
		own, mine, rerr := c.readOwn(ctx, sw, id)
		var api smithy.APIError
		precondition := errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed"
		switch {
		case rerr != nil:
			return Change{}, fmt.Errorf("drain %s: writing %s: %w%s; reading it back failed too (%w), so whether it is set is unknown: run status", region, sw, err, hint(err), rerr)
		case own == nil:
			return Change{}, fmt.Errorf("drain %s: writing %s: %w%s; nothing was written", region, sw, err, hint(err))
		case !mine:
			ch.After = Drained
			ch.Notes = append(ch.Notes, "the switch object appeared while this run was draining: another run drained the region first (run status to confirm it stayed)")
			return ch, nil
		case !precondition:
			ch.Notes = append(ch.Notes, fmt.Sprintf("the answer to the write was lost (%v), but the switch read back is this run's", err))
		}
		w = *own
	}
	ch.After = Drained
	ch.Changed = true
	if force {
		if len(serving) > 0 {
			ch.Notes = append(ch.Notes, c.recheck(ctx, i)...)
		}
		return ch, nil
	}
	if err := c.confirmOthersServing(ctx, i, w); err != nil {
		return Change{}, err
	}
	return ch, nil
}

// written identifies the switch object a drain wrote: its version (in a
// versioned bucket) and its ETag.
type written struct {
	versionID string
	etag      string
}

// writeSwitch writes sw's drain object, only if it does not exist yet
// (If-None-Match: *, so a concurrent drain's record is never overwritten;
// S3 answers 412 PreconditionFailed then). S3 answers 409
// ConditionalRequestConflict when a conflicting operation on the key was in
// flight, and asks for a retry
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
func (c *Client) writeSwitch(ctx context.Context, sw Switch, id string) (written, error) {
	rec := drainRecord{Region: sw.Region, DrainedAt: c.now().UTC().Format(time.RFC3339), By: c.actor}
	body, err := json.Marshal(rec)
	if err != nil {
		return written{}, fmt.Errorf("encoding the drain record: %w", err)
	}
	for attempt := 0; ; attempt++ {
		out, err := c.clients[sw.BucketRegion].PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(sw.Bucket),
			Key:         aws.String(sw.Key),
			Body:        bytes.NewReader(body),
			ContentType: aws.String(bodyContentType),
			Metadata:    map[string]string{metaDrainedAt: rec.DrainedAt, metaDrainedBy: rec.By, metaDrainID: id},
			IfNoneMatch: aws.String("*"),
		})
		var api smithy.APIError
		if err != nil && errors.As(err, &api) && api.ErrorCode() == "ConditionalRequestConflict" && attempt < conflictRetries {
			continue
		}
		if err != nil {
			return written{}, err
		}
		return written{versionID: aws.ToString(out.VersionId), etag: aws.ToString(out.ETag)}, nil
	}
}

// readOwn reads sw's switch object back after a failed write: nil if it is
// absent, else its version and ETag, and whether it is the one this run
// wrote (it carries the run's drain ID).
func (c *Client) readOwn(ctx context.Context, sw Switch, id string) (*written, bool, error) {
	out, err := c.clients[sw.BucketRegion].HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sw.Bucket), Key: aws.String(sw.Key)})
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &written{versionID: aws.ToString(out.VersionId), etag: aws.ToString(out.ETag)}, out.Metadata[metaDrainID] == id, nil
}

// newDrainID returns a random ID for one run's switch object.
func newDrainID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a drain ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// confirmOthersServing is the second half of a drain without --force. The
// first half checked that every other region was serving and then wrote
// region i's switch; this re-reads the other regions' switches. If one of them
// is drained now (a concurrent run drained it after this run's first check),
// or cannot be read, this run deletes exactly the object version it wrote and
// fails, so no region is left drained by it.
//
// Why two concurrent drains of different regions cannot both keep their
// switch: each run writes its own switch, then reads the other's. S3 is
// strongly consistent (a read that starts after a write has succeeded sees
// it: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel),
// so the two writes and the two reads fall in one order. Whichever write
// comes second precedes its own run's read and comes after the other run's
// write, so at least that run sees the other switch and rolls back. Both may
// roll back, which leaves both regions serving: safe, and a rerun fixes it.
func (c *Client) confirmOthersServing(ctx context.Context, i int, w written) error {
	sw := c.switches[i]
	var drained []string
	var unknown []error
	for j, other := range c.switches {
		if j == i {
			continue
		}
		st := c.read(ctx, other)
		switch {
		case st.Err != nil:
			unknown = append(unknown, st.Err)
		case st.Drained():
			drained = append(drained, st.Region)
		}
	}
	if len(drained) == 0 && len(unknown) == 0 {
		return nil
	}
	undo := c.rollback(ctx, sw, w)
	var cause error
	if len(drained) > 0 {
		cause = fmt.Errorf("%w: %s was drained while this run was draining %s", ErrConcurrentDrain, strings.Join(drained, ", "), sw.Region)
	} else {
		cause = fmt.Errorf("%w: after writing the switch, re-reading the other region's switch failed (%w)", ErrPeerUnknown, errors.Join(unknown...))
	}
	if undo != nil {
		return fmt.Errorf("drain %s: %w, and %w %s (%s): %w%s; %s is still drained, so every region may be drained now: restore it (essha failover restore --region %s) unless you meant to drain both",
			sw.Region, cause, ErrRollbackFailed, sw, w, undo, rollbackHint(undo), sw.Region, sw.Region)
	}
	next := "run status, then rerun the drain if " + sw.Region + " still needs draining"
	if len(drained) == 0 {
		next = "rerun the drain, or add --force if the other region is down"
	}
	return fmt.Errorf("drain %s: %w; this run deleted the switch it had written (%s, %s), so nothing is left drained by this run; %s",
		sw.Region, cause, sw, w, next)
}

// String describes the written object for messages.
func (w written) String() string {
	if w.versionID != "" && w.versionID != "null" {
		return "version " + w.versionID
	}
	return "ETag " + w.etag
}

// rollback deletes exactly what writeSwitch wrote: the object version it
// created (deleting a version leaves the key's other versions, so the object
// is absent again, or holds what another tool wrote on top:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html).
// In a bucket without versioning it deletes the object only while its ETag is
// still the one written (a conditional delete,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html).
// It runs even if ctx was cancelled after the write, within the client's
// bounded attempts.
func (c *Client) rollback(ctx context.Context, sw Switch, w written) error {
	ctx = context.WithoutCancel(ctx)
	in := &s3.DeleteObjectInput{Bucket: aws.String(sw.Bucket), Key: aws.String(sw.Key)}
	if w.versionID != "" && w.versionID != "null" {
		in.VersionId = aws.String(w.versionID)
	} else {
		in.IfMatch = aws.String(w.etag)
	}
	_, err := c.clients[sw.BucketRegion].DeleteObject(ctx, in)
	if err != nil && in.IfMatch != nil {
		// Someone else's object replaced ours, or nothing is left: ours is gone either way.
		var api smithy.APIError
		if isNotFound(err) || (errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed") {
			return nil
		}
	}
	return err
}

// recheck re-reads the other regions after a forced drain of region i and
// warns if they were drained meanwhile (two runs draining different regions
// at once).
func (c *Client) recheck(ctx context.Context, i int) []string {
	states, _ := c.Status(ctx) // an unreadable region is not known to be drained
	for j, s := range states {
		if j != i && !s.Drained() {
			return nil
		}
	}
	return []string{fmt.Sprintf("WARNING: every region is drained now: another run drained the others at the same time; restore one (restore --region %s)", c.switches[i].Region)}
}

// drainedNote describes who drained a region and when, as far as known.
func drainedNote(s State) string {
	var parts []string
	if !s.Since.IsZero() {
		parts = append(parts, "since "+s.Since.UTC().Format(time.RFC3339))
	}
	if s.By != "" {
		parts = append(parts, "by "+s.By)
	}
	if len(parts) == 0 {
		return "drained before this run"
	}
	return "drained " + strings.Join(parts, " ")
}

// Restore puts region back into service: if its switch object is present it
// deletes it (one DeleteObject); if absent, nothing is written and the
// Change says so. If the switch cannot be read, nothing is deleted.
func (c *Client) Restore(ctx context.Context, region string) (Change, error) {
	i, err := c.lookup(region)
	if err != nil {
		return Change{}, fmt.Errorf("restore: %w", err)
	}
	sw := c.switches[i]
	st := c.read(ctx, sw)
	if st.Err != nil {
		return Change{}, fmt.Errorf("restore %s: nothing was deleted: %w", region, st.Err)
	}
	ch := Change{Action: ActionRestore, Switch: sw, Before: st.Condition, After: st.Condition}
	if !st.Drained() {
		return ch, nil
	}
	ch.Notes = append(ch.Notes, "was "+drainedNote(st))
	if _, err := c.clients[sw.BucketRegion].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(sw.Bucket), Key: aws.String(sw.Key)}); err != nil {
		return Change{}, fmt.Errorf("restore %s: deleting %s: %w%s; the region is still drained unless status says otherwise", region, sw, err, hint(err))
	}
	ch.After = Serving
	ch.Changed = true
	return ch, nil
}
