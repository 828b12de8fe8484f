package failovercmd

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
)

// The tests of the failover command line, moved here with it from internal/failover.

// findTestDeployment finds the test deployment, whose stack files name no account.
func findTestDeployment(name string) (deployment, error) {
	if name != "" && name != fakeaws.Deployment {
		return deployment{}, errors.New("no deployment " + name)
	}
	return deployment{Name: fakeaws.Deployment, Regions: fakeaws.Regions(), Files: []string{"Pulumi.e.yaml", "Pulumi.w.yaml"}}, nil
}

// findOf returns a deploymentFinder that always finds d.
func findOf(d deployment) deploymentFinder {
	return func(string) (deployment, error) { return d, nil }
}

// runFailoverMain runs Main for the test deployment against the S3 at endpoint and
// an empty fake Route 53, with --account-id.
func runFailoverMain(t *testing.T, endpoint string, args ...string) (string, error) {
	t.Helper()
	if endpoint != "" {
		args = append(args, "--endpoint", endpoint)
	}
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		args = append(args, "--account-id", fakeaws.Account, "--route53-endpoint", fakeaws.NewRoute53(t).URL())
	}
	var out bytes.Buffer
	err := runCommand(context.Background(), args, findTestDeployment, &out)
	return out.String(), err
}

// switchLines returns the lines of a status report before Route 53's part.
func switchLines(out string) []string {
	s3part, _, _ := strings.Cut(out, "\n\nROUTE 53")
	return strings.Split(strings.TrimRight(s3part, "\n"), "\n")
}

func TestFailoverDrainStatusRestore(t *testing.T) {
	fakeaws.SetEnv(t)
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)

	out, err := runFailoverMain(t, f.URL(), "status")
	require.NoError(t, err)
	lines := switchLines(out)
	require.Len(t, lines, 5, out)
	assert.Equal(t, "deployment ess-test", lines[0])
	assert.Equal(t, []string{"REGION", "STATE", "DRAIN", "SWITCH", "SINCE", "BY"}, strings.Fields(lines[1]))
	assert.Equal(t, []string{fakeaws.East, "serving", "s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1", "(in", "us-west-2)", "-", "-"}, strings.Fields(lines[2]))
	assert.Equal(t, []string{fakeaws.West, "serving", "s3://ess-test-stop-123456789012-us-east-1/drain/us-west-2", "(in", "us-east-1)", "-", "-"}, strings.Fields(lines[3]))
	assert.Equal(t, "serving (as far as the drain switches go): us-east-1, us-west-2", lines[4])

	out, err = runFailoverMain(t, f.URL(), "drain", "--region", fakeaws.East)
	require.NoError(t, err)
	assert.Equal(t, "drain us-east-1: wrote s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2): serving → drained\n", out)
	_, meta, ok := f.Object(t, fakeaws.WestBucket, "drain/us-east-1")
	require.True(t, ok)
	assert.Contains(t, meta["X-Amz-Meta-Drained-By"], "@", "Main records user@host")

	out, err = runFailoverMain(t, f.URL(), "status")
	require.NoError(t, err)
	lines = switchLines(out)
	require.Len(t, lines, 5, out)
	row := strings.Fields(lines[2])
	assert.Equal(t, []string{fakeaws.East, "drained"}, row[:2])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, row[5])
	assert.Equal(t, meta["X-Amz-Meta-Drained-By"], row[6])
	assert.Equal(t, "serving (as far as the drain switches go): us-west-2", lines[4])

	out, err = runFailoverMain(t, f.URL(), "drain", "--region", fakeaws.West)
	require.ErrorIs(t, err, failover.ErrLastRegion)
	assert.Contains(t, err.Error(), "us-west-2 is the last one")
	assert.Empty(t, out)
	f.TakeMethods()

	out, err = runFailoverMain(t, f.URL(), "drain", "--region", fakeaws.West, "--force")
	require.NoError(t, err)
	assert.Contains(t, out, "drain us-west-2: wrote s3://ess-test-stop-123456789012-us-east-1/drain/us-west-2 (in us-east-1): serving → drained\n  note: --force: every region is now drained")
	assert.Contains(t, f.TakeMethods(), http.MethodPut)

	out, err = runFailoverMain(t, f.URL(), "status")
	require.NoError(t, err)
	assert.Contains(t, out, "WARNING: every region is drained")

	out, err = runFailoverMain(t, f.URL(), "restore", "--region", fakeaws.East)
	require.NoError(t, err)
	assert.Contains(t, out, "restore us-east-1: deleted s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2): drained → serving\n")

	out, err = runFailoverMain(t, f.URL(), "restore", "-region="+fakeaws.East)
	require.NoError(t, err)
	assert.Equal(t, "restore us-east-1: no change, already serving (s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2))\n", out)
}

func TestFailoverStatusPrintsTableAndFailsWhenUnreadable(t *testing.T) {
	fakeaws.SetEnv(t)
	f := fakeaws.NewS3(t, fakeaws.WestBucket) // the bucket in us-east-1 is missing
	out, err := runFailoverMain(t, f.URL(), "status")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bucket ess-test-stop-123456789012-us-east-1 does not exist in us-east-1")
	assert.Contains(t, out, "us-west-2  unknown")
	assert.Contains(t, out, "serving (as far as the drain switches go): us-east-1")
}

func TestFailoverUnknownRegion(t *testing.T) {
	fakeaws.SetEnv(t)
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	out, err := runFailoverMain(t, f.URL(), "drain", "--region", "eu-west-1")
	require.ErrorIs(t, err, failover.ErrUnknownRegion)
	assert.Contains(t, err.Error(), "us-east-1, us-west-2")
	assert.Empty(t, out)
	assert.Empty(t, f.TakeMethods())
}

func TestFailoverBadDeploymentConfig(t *testing.T) {
	fakeaws.SetEnv(t)
	var out bytes.Buffer
	err := runCommand(context.Background(), []string{"status", "--account-id", fakeaws.Account}, findOf(deployment{Name: fakeaws.Deployment, Regions: []string{fakeaws.East}}), &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exactly two regions")
	assert.Empty(t, out.String())
}

func TestFailoverUsageErrors(t *testing.T) {
	fakeaws.SetEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "no subcommand given"},
		{"unknown subcommand", []string{"failback"}, `unknown subcommand "failback"`},
		{"drain without region", []string{"drain"}, "failover drain: --region is required (one of us-east-1, us-west-2)"},
		{"restore without region", []string{"restore", "--endpoint", "http://127.0.0.1:1"}, "failover restore: --region is required"},
		{"empty region", []string{"drain", "--region="}, "--region is required"},
		{"force on restore", []string{"restore", "--region", fakeaws.East, "--force"}, "flag provided but not defined: -force"},
		{"region on status", []string{"status", "--region", fakeaws.East}, "flag provided but not defined: -region"},
		{"unknown flag", []string{"status", "--verbose"}, "flag provided but not defined: -verbose"},
		{"missing flag value", []string{"drain", "--region"}, "flag needs an argument: -region"},
		{"extra argument", []string{"drain", "--region", fakeaws.East, "now"}, `unexpected argument "now"`},
		{"positional region", []string{"restore", fakeaws.East}, `unexpected argument "us-east-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runCommand(context.Background(), tc.args, findTestDeployment, &out)
			var ue *usageError
			require.True(t, errors.As(err, &ue), "want a *usageError, got %v", err)
			assert.Contains(t, ue.Problem, tc.want)
			for _, sub := range []string{"status", "drain --region R [--force]", "restore --region R", "--endpoint URL"} {
				assert.Contains(t, err.Error(), sub, "usage errors list the subcommands")
			}
			assert.Empty(t, out.String(), "a usage error changes and prints nothing")
		})
	}
}

func TestFailoverHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"drain", "-h"}} {
		var out bytes.Buffer
		err := runCommand(context.Background(), args, findTestDeployment, &out)
		require.NoError(t, err, "args %v", args)
		assert.Equal(t, Usage, out.String(), "args %v", args)
	}
}

// TestMainStatusShowsWhatCheckersSee: status prints each checker's last
// answer and Route 53's verdict beside the switch, and warns when the switch
// is set but the checkers are refused (the drain does not take).
func TestFailoverStatusShowsWhatCheckersSee(t *testing.T) {
	fakeaws.SetEnv(t)
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	_, err := runFailoverMain(t, f.URL(), "drain", "--region", fakeaws.East)
	require.NoError(t, err)
	r53 := fakeaws.NewRoute53(t,
		fakeaws.DrainCheck(t, "hc-east", fakeaws.East, fakeaws.Answers(16, 2)), // the bucket policy refuses most checkers
		fakeaws.DrainCheck(t, "hc-west", fakeaws.West, fakeaws.Answers(3, 0)),
	)

	var out bytes.Buffer
	err = runCommand(context.Background(), []string{"status", "--endpoint", f.URL(), "--route53-endpoint", r53.URL(), "--account-id", fakeaws.Account}, findTestDeployment, &out)
	require.NoError(t, err)
	report := out.String()
	lines := switchLines(report)
	require.Len(t, lines, 5, report)
	assert.Equal(t, []string{fakeaws.East, "drained"}, strings.Fields(lines[2])[:2])

	_, r53part, ok := strings.Cut(report, "\n\nROUTE 53")
	require.True(t, ok, report)
	for _, want := range []string{
		"more than 18% of them get the object",
		"us-east-1: drain check hc-east (inverted) on https://ess-test-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com/drain/us-east-1",
		"verdict: 2 of 16 checkers (12.5%) get the switch object, so Route 53 treats us-east-1 as SERVING",
		"WARNING: us-east-1's switch is set, but Route 53 still sends us-east-1 traffic",
		"refused by the stop bucket ess-test-stop-123456789012-us-west-2",
		"us-west-2: drain check hc-west (inverted)",
		"verdict: 0 of 3 checkers (0%) get the switch object, so Route 53 treats us-west-2 as SERVING",
	} {
		assert.Contains(t, r53part, want)
	}
	var rows [][]string
	for _, l := range strings.Split(r53part, "\n") {
		if f := strings.Fields(l); len(f) > 2 && strings.HasPrefix(f[1], "192.0.2.") {
			rows = append(rows, f)
		}
	}
	require.Len(t, rows, 19, "one row per checker")
	assert.Equal(t, []string{"us-east-1", "192.0.2.1", "Success:", "HTTP", "Status", "Code", "200,", "OK", "2026-03-04T05:06:00Z"}, rows[0])
	assert.Equal(t, []string{"us-west-2", "192.0.2.3", "Failure:", "HTTP", "Status", "Code", "403,", "Forbidden", "2026-03-04T05:06:00Z"}, rows[2])
	assert.NotContains(t, r53part, "us-west-2's switch", "no warning where S3 and Route 53 agree")
}

func TestFailoverStatusWithoutDrainCheck(t *testing.T) {
	fakeaws.SetEnv(t)
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	out, err := runFailoverMain(t, f.URL(), "status")
	require.NoError(t, err, "a missing check is a finding, not an unreadable part")
	assert.Contains(t, out, "us-east-1: no Route 53 health check requests https://ess-test-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com/drain/us-east-1: Route 53 does not watch this switch, so draining us-east-1 changes no DNS answer")
}

// TestMainStatusWhenRoute53IsUnreachable: the S3 view is still printed, the
// checkers' view is reported unknown, and the command fails.
func TestFailoverStatusWhenRoute53IsUnreachable(t *testing.T) {
	fakeaws.SetEnv(t)
	f := fakeaws.NewS3(t, fakeaws.EastBucket, fakeaws.WestBucket)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	var out bytes.Buffer
	err := runCommand(context.Background(), []string{"status", "--endpoint", f.URL(), "--route53-endpoint", deadURL, "--account-id", fakeaws.Account}, findTestDeployment, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failover status: reading Route 53's health checks")
	assert.Contains(t, err.Error(), "connection refused")
	lines := switchLines(out.String())
	require.Len(t, lines, 5, out.String())
	assert.Equal(t, "serving (as far as the drain switches go): us-east-1, us-west-2", lines[4])
	assert.Contains(t, out.String(), "the checkers' view is unknown: reading Route 53's health checks")
}

// FuzzFailoverMain runs any command line of `essha failover`: it must never panic, and every error must be a
// message. The deployment cannot be found, so nothing is read from AWS.
func FuzzFailoverMain(f *testing.F) {
	for _, args := range []string{
		"status", "drain\x00--region\x00us-east-1\x00--force", "restore\x00--region=us-west-2", "--help",
		"drain\x00-h", "status\x00--deployment\x00x\x00--account-id\x00123456789012\x00--endpoint\x00http://127.0.0.1:1",
		"", "bogus", "drain\x00--region", "status\x00extra",
	} {
		f.Add(args)
	}
	notFound := func(string) (deployment, error) { return deployment{}, errors.New("no deployment here") }
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		var out bytes.Buffer
		err := runCommand(context.Background(), args, notFound, &out)
		if err != nil && err.Error() == "" {
			t.Error("an empty error")
		}
	})
}

const (
	fuzzListXML   = `<?xml version="1.0"?><ListHealthChecksResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HealthChecks><HealthCheck><Id>hc-1</Id><CallerReference>r</CallerReference><HealthCheckConfig><Type>HTTPS</Type><ResourcePath>/drain/us-east-1</ResourcePath><FullyQualifiedDomainName>ess-test-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com</FullyQualifiedDomainName><Inverted>true</Inverted><Disabled>false</Disabled></HealthCheckConfig><HealthCheckVersion>1</HealthCheckVersion></HealthCheck></HealthChecks><IsTruncated>false</IsTruncated><Marker></Marker><MaxItems>100</MaxItems></ListHealthChecksResponse>`
	fuzzStatusXML = `<?xml version="1.0"?><GetHealthCheckStatusResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HealthCheckObservations><HealthCheckObservation><Region>us-east-1</Region><IPAddress>15.177.2.1</IPAddress><StatusReport><Status>Success: HTTP Status Code 200, OK</Status><CheckedTime>2026-03-04T05:06:07Z</CheckedTime></StatusReport></HealthCheckObservation><HealthCheckObservation><Region>eu-west-1</Region><IPAddress>15.177.10.1</IPAddress><StatusReport><Status>Failure: HTTP Status Code 403, Forbidden</Status></StatusReport></HealthCheckObservation></HealthCheckObservations></GetHealthCheckStatusResponse>`
)

// FuzzStatusAnswers reads the drain switches and Route 53's view of them from servers that answer
// anything: an S3 whose HEAD of a drain object answers any status with any record of who drained the
// region and when, and a Route 53 whose health checks and checkers' reports are any XML. Reading and
// printing the status must never panic, and must give a status report or an error.
func FuzzStatusAnswers(f *testing.F) {
	fakeaws.SetEnv(f)
	f.Add(uint16(200), "tester@testhost", "2026-03-04T05:06:07Z", "Wed, 04 Mar 2026 05:06:07 GMT", []byte(fuzzListXML), []byte(fuzzStatusXML))
	f.Add(uint16(404), "", "", "", []byte(fuzzListXML), []byte(`<GetHealthCheckStatusResponse/>`))
	f.Add(uint16(403), "x", "yesterday", "never", []byte(`<ListHealthChecksResponse><IsTruncated>true</IsTruncated><NextMarker>m</NextMarker></ListHealthChecksResponse>`), []byte("not xml"))
	f.Add(uint16(200), strings.Repeat("é", 300), "2026-13-45T99:99:99Z", "", []byte{}, []byte(strings.Replace(fuzzStatusXML, "Success", "success", 1)))
	switches, err := failover.Switches(fakeaws.Deployment, fakeaws.Account, fakeaws.Regions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, headStatus uint16, by, at, lastModified string, list, status []byte) {
		s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			code := int(headStatus)%500 + 100
			if strings.Count(r.URL.Path, "/") < 2 { // HeadBucket
				w.WriteHeader(http.StatusOK)
				return
			}
			w.Header().Set("x-amz-meta-drained-by", by)
			w.Header().Set("x-amz-meta-drained-at", at)
			w.Header().Set("Last-Modified", lastModified)
			w.WriteHeader(code)
		}))
		defer s3.Close()
		r53 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/status") {
				_, _ = w.Write(status)
				return
			}
			if r.URL.Query().Get("marker") != "" {
				_, _ = w.Write([]byte(fuzzListXML)) // the next page ends the list
				return
			}
			_, _ = w.Write(list)
		}))
		defer r53.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := failover.NewClient(ctx, switches, failover.Options{Endpoint: s3.URL, Route53Endpoint: r53.URL, MaxAttempts: 1, AttemptTimeout: 2 * time.Second, Actor: "fuzz", Now: fakeaws.Now})
		if err != nil {
			t.Fatal(err)
		}
		states, serr := c.Status(ctx)
		views, verr := c.CheckerViews(ctx)
		if len(states) != len(switches) || len(views) != len(switches) {
			t.Fatalf("%d states and %d views for %d switches", len(states), len(views), len(switches))
		}
		var out bytes.Buffer
		if err := writeStatus(&out, fakeaws.Deployment, states, views); err != nil {
			t.Fatal(err)
		}
		if out.Len() == 0 {
			t.Error("an empty status report")
		}
		for _, err := range []error{serr, verr} {
			if err != nil && err.Error() == "" {
				t.Error("an empty error")
			}
		}
	})
}
