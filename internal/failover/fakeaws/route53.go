package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Route53 is a fake of the two Route 53 health-check calls the failover command makes, speaking
// the REST-XML API (version 2013-04-01) on loopback: ListHealthChecks, paginated with marker and
// NextMarker as Route 53 does (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHealthChecks.html),
// and GetHealthCheckStatus (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html).
type Route53 struct {
	srv *httptest.Server

	mu       sync.Mutex
	checks   []HealthCheck
	pageSize int
	fail     int // answer every request with this HTTP status, if not 0
	requests []string
}

// HealthCheck is one health check the fake holds.
type HealthCheck struct {
	ID           string
	Type         string // default HTTPS
	FQDN         string
	ResourcePath string
	Inverted     bool
	Disabled     bool
	// Observations are what GetHealthCheckStatus answers: one per health checker.
	Observations []Observation
}

// Observation is one health checker's last report.
type Observation struct {
	Region  string
	IP      string
	Status  string // e.g. "Success: HTTP Status Code 200, OK"
	Checked time.Time
}

// NewRoute53 starts a fake Route 53 holding checks; it stops when t ends.
func NewRoute53(t testing.TB, checks ...HealthCheck) *Route53 {
	t.Helper()
	f := &Route53{checks: checks, pageSize: 100}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the server's base URL, the endpoint override for the Route 53 client.
func (f *Route53) URL() string { return f.srv.URL }

// SetPageSize sets how many health checks one ListHealthChecks page holds at most (default 100).
func (f *Route53) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// Fail makes every request answer status (0: serve normally again).
func (f *Route53) Fail(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = status
}

// Requests returns the requests received so far, as "METHOD /path?query".
func (f *Route53) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

const route53NS = "https://route53.amazonaws.com/doc/2013-04-01/"

type xmlHealthCheckConfig struct {
	Port                     int    `xml:"Port,omitempty"`
	Type                     string `xml:"Type"`
	ResourcePath             string `xml:"ResourcePath,omitempty"`
	FullyQualifiedDomainName string `xml:"FullyQualifiedDomainName,omitempty"`
	RequestInterval          int    `xml:"RequestInterval,omitempty"`
	FailureThreshold         int    `xml:"FailureThreshold,omitempty"`
	Inverted                 bool   `xml:"Inverted"`
	Disabled                 bool   `xml:"Disabled"`
	EnableSNI                bool   `xml:"EnableSNI"`
}

type xmlHealthCheck struct {
	ID                 string               `xml:"Id"`
	CallerReference    string               `xml:"CallerReference"`
	HealthCheckConfig  xmlHealthCheckConfig `xml:"HealthCheckConfig"`
	HealthCheckVersion int                  `xml:"HealthCheckVersion"`
}

type xmlListHealthChecks struct {
	XMLName      xml.Name         `xml:"ListHealthChecksResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	HealthChecks []xmlHealthCheck `xml:"HealthChecks>HealthCheck"`
	IsTruncated  bool             `xml:"IsTruncated"`
	Marker       string           `xml:"Marker"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
	MaxItems     int              `xml:"MaxItems"`
}

type xmlObservation struct {
	Region      string `xml:"Region"`
	IPAddress   string `xml:"IPAddress"`
	Status      string `xml:"StatusReport>Status"`
	CheckedTime string `xml:"StatusReport>CheckedTime,omitempty"`
}

type xmlHealthCheckStatus struct {
	XMLName      xml.Name         `xml:"GetHealthCheckStatusResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	Observations []xmlObservation `xml:"HealthCheckObservations>HealthCheckObservation"`
}

func (f *Route53) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	fail := f.fail
	checks := append([]HealthCheck(nil), f.checks...)
	pageSize := f.pageSize
	f.mu.Unlock()

	if fail != 0 {
		writeRoute53Error(w, fail, "ServiceUnavailable", "the fake Route 53 was told to fail")
		return
	}
	const prefix = "/2013-04-01/healthcheck"
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && path == prefix:
		f.list(w, r, checks, pageSize)
	case r.Method == http.MethodGet && strings.HasPrefix(path, prefix+"/") && strings.HasSuffix(path, "/status"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, prefix+"/"), "/status")
		for _, c := range checks {
			if c.ID == id {
				out := xmlHealthCheckStatus{Xmlns: route53NS}
				for _, o := range c.Observations {
					xo := xmlObservation{Region: o.Region, IPAddress: o.IP, Status: o.Status}
					if !o.Checked.IsZero() {
						xo.CheckedTime = o.Checked.UTC().Format(time.RFC3339)
					}
					out.Observations = append(out.Observations, xo)
				}
				writeXML(w, out)
				return
			}
		}
		writeRoute53Error(w, http.StatusNotFound, "NoSuchHealthCheck", fmt.Sprintf("No health check exists with the specified ID %s", id))
	default:
		writeRoute53Error(w, http.StatusNotFound, "NotImplemented", "the fake Route 53 does not serve "+r.Method+" "+path)
	}
}

func (f *Route53) list(w http.ResponseWriter, r *http.Request, checks []HealthCheck, pageSize int) {
	if s := r.URL.Query().Get("maxitems"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 && n < pageSize {
			pageSize = n
		}
	}
	start := 0
	marker := r.URL.Query().Get("marker")
	if marker != "" {
		start = len(checks)
		for i, c := range checks {
			if c.ID == marker {
				start = i
				break
			}
		}
	}
	end := min(start+pageSize, len(checks))
	out := xmlListHealthChecks{Xmlns: route53NS, Marker: marker, MaxItems: pageSize}
	for _, c := range checks[start:end] {
		typ := c.Type
		if typ == "" {
			typ = "HTTPS"
		}
		out.HealthChecks = append(out.HealthChecks, xmlHealthCheck{
			ID:              c.ID,
			CallerReference: "ref-" + c.ID,
			HealthCheckConfig: xmlHealthCheckConfig{
				Port: 443, Type: typ, ResourcePath: c.ResourcePath, FullyQualifiedDomainName: c.FQDN,
				RequestInterval: 10, FailureThreshold: 3, Inverted: c.Inverted, Disabled: c.Disabled, EnableSNI: true,
			},
			HealthCheckVersion: 1,
		})
	}
	if end < len(checks) {
		out.IsTruncated = true
		out.NextMarker = checks[end].ID
	}
	writeXML(w, out)
}

func writeXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

func writeRoute53Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, route53NS, code, msg)
}

// Answers returns n health-checker observations of a drain object, from checkers in several regions:
// the first seeing of them got the object (200), the rest were refused (403).
func Answers(n, seeing int) []Observation {
	regions := []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}
	obs := make([]Observation, n)
	for i := range obs {
		obs[i] = Observation{
			Region:  regions[i%len(regions)],
			IP:      fmt.Sprintf("192.0.2.%d", i+1),
			Status:  "Failure: HTTP Status Code 403, Forbidden",
			Checked: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC),
		}
		if i < seeing {
			obs[i].Status = "Success: HTTP Status Code 200, OK"
		}
	}
	return obs
}
