package failover

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// route53Region is the region that signs Route 53 requests: Route 53 is a
// global service whose API is served from us-east-1.
const route53Region = "us-east-1"

// HealthyPercent is Route 53's rule for a health check that monitors an
// endpoint: it considers the endpoint healthy when MORE than this percentage
// of its health checkers report it healthy, unhealthy otherwise
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
// An inverted check then takes the opposite of that status
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html):
// for a drain check, the region is drained when more than 18% of the
// checkers get the switch object (HTTP 2xx or 3xx).
const HealthyPercent = 18

// CheckerAnswer is one Route 53 health checker's last answer about a drain
// switch's URL, as GetHealthCheckStatus reports it.
type CheckerAnswer struct {
	// Region is the checker's region (us-east-1, eu-west-1, ...).
	Region string
	// IP is the checker's address, the one a bucket policy must let read the object.
	IP string
	// Status is Route 53's text, e.g. "Success: HTTP Status Code 200, OK" or
	// "Failure: HTTP Status Code 403, Forbidden".
	Status string
	// CheckedAt is when the checker last reported.
	CheckedAt time.Time
}

// SeesObject reports whether the checker's last request got the switch
// object: Route 53 reports a 2xx or 3xx answer as "Success".
func (a CheckerAnswer) SeesObject() bool { return strings.HasPrefix(a.Status, "Success") }

// DrainCheck is a Route 53 health check on a drain switch's URL, with its
// checkers' last answers.
type DrainCheck struct {
	// ID is the health check's ID.
	ID string
	// Inverted and Disabled are the check's settings.
	Inverted, Disabled bool
	// Answers are the checkers' last answers, in Route 53's order.
	Answers []CheckerAnswer
	// Err is why the answers could not be read (Verdict is then unknown).
	Err error
}

// Verdict is what Route 53 makes of a drain check's answers.
type Verdict struct {
	// Seeing is how many checkers got the switch object, of Total.
	Seeing, Total int
	// Known is false when the answers could not be read, or there are none.
	Known bool
	// Drained is whether Route 53 treats the region as drained by this check
	// (the check is unhealthy), when Known.
	Drained bool
}

// Verdict applies Route 53's rules to the check: a disabled check counts as
// healthy (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html),
// otherwise the endpoint is healthy when more than HealthyPercent of the
// checkers get the object; an inverted check takes the opposite status; an
// unhealthy drain check means the region is drained.
func (d DrainCheck) Verdict() Verdict {
	v := Verdict{Total: len(d.Answers)}
	for _, a := range d.Answers {
		if a.SeesObject() {
			v.Seeing++
		}
	}
	var endpointHealthy bool
	switch {
	case d.Disabled:
		endpointHealthy, v.Known = true, true
	case d.Err != nil || v.Total == 0:
		return v
	default:
		endpointHealthy, v.Known = v.Seeing*100 > HealthyPercent*v.Total, true
	}
	checkHealthy := endpointHealthy != d.Inverted
	v.Drained = !checkHealthy
	return v
}

// CheckerView is Route 53's view of one region's drain switch: the health
// checks on the switch's URL (normally one, the stack's inverted drain check).
type CheckerView struct {
	Switch Switch
	// Checks are the health checks whose FullyQualifiedDomainName and
	// ResourcePath are the switch's (none: Route 53 does not watch it).
	Checks []DrainCheck
	// Err is why Route 53 could not be read: the checkers' view is unknown.
	Err error
}

// URL is the address Route 53's checkers request for the switch.
func (v CheckerView) URL() string { return v.Switch.URL() }

// CheckerViews reads Route 53's view of every region's drain switch: it
// lists the account's health checks (every page), keeps those on a switch's
// FQDN and resource path, and reads each one's checker answers
// (GetHealthCheckStatus). It needs no stack outputs. It always returns one
// view per region, in order; the error joins every part that could not be
// read (those views or checks carry their Err).
func (c *Client) CheckerViews(ctx context.Context) ([]CheckerView, error) {
	views := make([]CheckerView, len(c.switches))
	for i, sw := range c.switches {
		views[i].Switch = sw
	}
	matches, err := c.drainChecks(ctx)
	if err != nil {
		err = fmt.Errorf("reading Route 53's health checks: %w%s", err, route53Hint(err))
		for i := range views {
			views[i].Err = err
		}
		return views, err
	}
	var wg sync.WaitGroup
	for i := range views {
		views[i].Checks = make([]DrainCheck, len(matches[i]))
		for j, hc := range matches[i] {
			wg.Go(func() { views[i].Checks[j] = c.observe(ctx, hc) })
		}
	}
	wg.Wait()
	var errs []error
	for _, v := range views {
		for _, d := range v.Checks {
			if d.Err != nil {
				errs = append(errs, d.Err)
			}
		}
	}
	return views, errors.Join(errs...)
}

// drainChecks lists every health check and returns, for each switch, those
// that probe its URL.
func (c *Client) drainChecks(ctx context.Context) ([][]r53types.HealthCheck, error) {
	matches := make([][]r53types.HealthCheck, len(c.switches))
	pages := route53.NewListHealthChecksPaginator(c.route53, &route53.ListHealthChecksInput{},
		func(o *route53.ListHealthChecksPaginatorOptions) { o.StopOnDuplicateToken = true })
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, hc := range page.HealthChecks {
			cfg := hc.HealthCheckConfig
			if cfg == nil {
				continue
			}
			for i, sw := range c.switches {
				if strings.EqualFold(strings.TrimSuffix(aws.ToString(cfg.FullyQualifiedDomainName), "."), sw.FQDN()) &&
					aws.ToString(cfg.ResourcePath) == sw.ResourcePath() {
					matches[i] = append(matches[i], hc)
				}
			}
		}
	}
	return matches, nil
}

// observe reads the checker answers of one health check.
func (c *Client) observe(ctx context.Context, hc r53types.HealthCheck) DrainCheck {
	d := DrainCheck{ID: aws.ToString(hc.Id)}
	if cfg := hc.HealthCheckConfig; cfg != nil {
		d.Inverted = aws.ToBool(cfg.Inverted)
		d.Disabled = aws.ToBool(cfg.Disabled)
	}
	out, err := c.route53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: hc.Id})
	if err != nil {
		d.Err = fmt.Errorf("reading the checkers' answers of health check %s: %w%s", d.ID, err, route53Hint(err))
		return d
	}
	for _, o := range out.HealthCheckObservations {
		a := CheckerAnswer{Region: string(o.Region), IP: aws.ToString(o.IPAddress)}
		if o.StatusReport != nil {
			a.Status = aws.ToString(o.StatusReport.Status)
			a.CheckedAt = aws.ToTime(o.StatusReport.CheckedTime)
		}
		d.Answers = append(d.Answers, a)
	}
	return d
}

// route53Hint adds advice for a refused Route 53 call.
func route53Hint(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return " (reading the checkers' view needs route53:ListHealthChecks and route53:GetHealthCheckStatus)"
	}
	return ""
}
