package failover

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzMain runs any command line of `essha failover`: it must never panic, and every error must be a
// message. The deployment cannot be found, so nothing is read from AWS.
func FuzzMain(f *testing.F) {
	for _, args := range []string{
		"status", "drain\x00--region\x00us-east-1\x00--force", "restore\x00--region=us-west-2", "--help",
		"drain\x00-h", "status\x00--deployment\x00x\x00--account-id\x00123456789012\x00--endpoint\x00http://127.0.0.1:1",
		"", "bogus", "drain\x00--region", "status\x00extra",
	} {
		f.Add(args)
	}
	notFound := func(string) (Deployment, error) { return Deployment{}, errors.New("no deployment here") }
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		var out bytes.Buffer
		err := Main(context.Background(), args, notFound, &out)
		if err != nil && err.Error() == "" {
			t.Error("an empty error")
		}
	})
}

// setFakeAWSEnv points the SDK at fake credentials and away from any real configuration, for the whole
// fuzz target (its fuzz function cannot set the environment itself).
func setFakeAWSEnv(tb testing.TB) {
	dir := tb.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_DEFAULT_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL_ROUTE_53": "", "AWS_CA_BUNDLE": "",
	} {
		tb.Setenv(k, v)
	}
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
	setFakeAWSEnv(f)
	f.Add(uint16(200), "tester@testhost", "2026-03-04T05:06:07Z", "Wed, 04 Mar 2026 05:06:07 GMT", []byte(fuzzListXML), []byte(fuzzStatusXML))
	f.Add(uint16(404), "", "", "", []byte(fuzzListXML), []byte(`<GetHealthCheckStatusResponse/>`))
	f.Add(uint16(403), "x", "yesterday", "never", []byte(`<ListHealthChecksResponse><IsTruncated>true</IsTruncated><NextMarker>m</NextMarker></ListHealthChecksResponse>`), []byte("not xml"))
	f.Add(uint16(200), strings.Repeat("é", 300), "2026-13-45T99:99:99Z", "", []byte{}, []byte(strings.Replace(fuzzStatusXML, "Success", "success", 1)))
	switches, err := Switches(testDeployment, testAccount, testRegions)
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
			w.Header().Set("x-amz-meta-"+metaDrainedBy, by)
			w.Header().Set("x-amz-meta-"+metaDrainedAt, at)
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
		c, err := NewClient(ctx, switches, Options{Endpoint: s3.URL, Route53Endpoint: r53.URL, MaxAttempts: 1, AttemptTimeout: 2 * time.Second, Actor: "fuzz", Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		states, serr := c.Status(ctx)
		views, verr := c.CheckerViews(ctx)
		if len(states) != len(switches) || len(views) != len(switches) {
			t.Fatalf("%d states and %d views for %d switches", len(states), len(views), len(switches))
		}
		var out bytes.Buffer
		if err := WriteStatus(&out, testDeployment, states, views); err != nil {
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
