package failover

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
)

// findTest finds the test deployment, whose stack files name no account.
func findTest(name string) (Deployment, error) {
	if name != "" && name != testDeployment {
		return Deployment{}, errors.New("no deployment " + name)
	}
	return Deployment{Name: testDeployment, Regions: testRegions, Files: []string{"Pulumi.e.yaml", "Pulumi.w.yaml"}}, nil
}

// findOf returns a FindDeployment that always finds d.
func findOf(d Deployment) FindDeployment {
	return func(string) (Deployment, error) { return d, nil }
}

// runMain runs Main for the test deployment against the S3 at endpoint and
// an empty fake Route 53, with --account-id.
func runMain(t *testing.T, endpoint string, args ...string) (string, error) {
	t.Helper()
	if endpoint != "" {
		args = append(args, "--endpoint", endpoint)
	}
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		args = append(args, "--account-id", testAccount, "--route53-endpoint", fakeaws.NewRoute53(t).URL())
	}
	var out bytes.Buffer
	err := Main(context.Background(), args, findTest, &out)
	return out.String(), err
}

// switchLines returns the lines of a status report before Route 53's part.
func switchLines(out string) []string {
	s3part, _, _ := strings.Cut(out, "\n\nROUTE 53")
	return strings.Split(strings.TrimRight(s3part, "\n"), "\n")
}

func TestMainDrainStatusRestore(t *testing.T) {
	fakeAWSEnv(t)
	f := newFakeS3(t, eastBucket, westBucket)

	out, err := runMain(t, f.URL(), "status")
	require.NoError(t, err)
	lines := switchLines(out)
	require.Len(t, lines, 5, out)
	assert.Equal(t, "deployment ess-test", lines[0])
	assert.Equal(t, []string{"REGION", "STATE", "DRAIN", "SWITCH", "SINCE", "BY"}, strings.Fields(lines[1]))
	assert.Equal(t, []string{east, "serving", "s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1", "(in", "us-west-2)", "-", "-"}, strings.Fields(lines[2]))
	assert.Equal(t, []string{west, "serving", "s3://ess-test-stop-123456789012-us-east-1/drain/us-west-2", "(in", "us-east-1)", "-", "-"}, strings.Fields(lines[3]))
	assert.Equal(t, "serving (as far as the drain switches go): us-east-1, us-west-2", lines[4])

	out, err = runMain(t, f.URL(), "drain", "--region", east)
	require.NoError(t, err)
	assert.Equal(t, "drain us-east-1: wrote s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2): serving → drained\n", out)
	_, meta, ok := f.Object(t, westBucket, "drain/us-east-1")
	require.True(t, ok)
	assert.Contains(t, meta["X-Amz-Meta-Drained-By"], "@", "Main records user@host")

	out, err = runMain(t, f.URL(), "status")
	require.NoError(t, err)
	lines = switchLines(out)
	require.Len(t, lines, 5, out)
	row := strings.Fields(lines[2])
	assert.Equal(t, []string{east, "drained"}, row[:2])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, row[5])
	assert.Equal(t, meta["X-Amz-Meta-Drained-By"], row[6])
	assert.Equal(t, "serving (as far as the drain switches go): us-west-2", lines[4])

	out, err = runMain(t, f.URL(), "drain", "--region", west)
	require.ErrorIs(t, err, ErrLastRegion)
	assert.Contains(t, err.Error(), "us-west-2 is the last one")
	assert.Empty(t, out)
	f.TakeMethods()

	out, err = runMain(t, f.URL(), "drain", "--region", west, "--force")
	require.NoError(t, err)
	assert.Contains(t, out, "drain us-west-2: wrote s3://ess-test-stop-123456789012-us-east-1/drain/us-west-2 (in us-east-1): serving → drained\n  note: --force: every region is now drained")
	assert.Contains(t, f.TakeMethods(), http.MethodPut)

	out, err = runMain(t, f.URL(), "status")
	require.NoError(t, err)
	assert.Contains(t, out, "WARNING: every region is drained")

	out, err = runMain(t, f.URL(), "restore", "--region", east)
	require.NoError(t, err)
	assert.Contains(t, out, "restore us-east-1: deleted s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2): drained → serving\n")

	out, err = runMain(t, f.URL(), "restore", "-region="+east)
	require.NoError(t, err)
	assert.Equal(t, "restore us-east-1: no change, already serving (s3://ess-test-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2))\n", out)
}

func TestMainStatusPrintsTableAndFailsWhenUnreadable(t *testing.T) {
	fakeAWSEnv(t)
	f := newFakeS3(t, westBucket) // the bucket in us-east-1 is missing
	out, err := runMain(t, f.URL(), "status")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bucket ess-test-stop-123456789012-us-east-1 does not exist in us-east-1")
	assert.Contains(t, out, "us-west-2  unknown")
	assert.Contains(t, out, "serving (as far as the drain switches go): us-east-1")
}

func TestMainUnknownRegion(t *testing.T) {
	fakeAWSEnv(t)
	f := newFakeS3(t, eastBucket, westBucket)
	out, err := runMain(t, f.URL(), "drain", "--region", "eu-west-1")
	require.ErrorIs(t, err, ErrUnknownRegion)
	assert.Contains(t, err.Error(), "us-east-1, us-west-2")
	assert.Empty(t, out)
	assert.Empty(t, f.TakeMethods())
}

func TestMainBadDeploymentConfig(t *testing.T) {
	fakeAWSEnv(t)
	var out bytes.Buffer
	err := Main(context.Background(), []string{"status", "--account-id", testAccount}, findOf(Deployment{Name: testDeployment, Regions: []string{east}}), &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exactly two regions")
	assert.Empty(t, out.String())
}

func TestMainUsageErrors(t *testing.T) {
	fakeAWSEnv(t)
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
		{"force on restore", []string{"restore", "--region", east, "--force"}, "flag provided but not defined: -force"},
		{"region on status", []string{"status", "--region", east}, "flag provided but not defined: -region"},
		{"unknown flag", []string{"status", "--verbose"}, "flag provided but not defined: -verbose"},
		{"missing flag value", []string{"drain", "--region"}, "flag needs an argument: -region"},
		{"extra argument", []string{"drain", "--region", east, "now"}, `unexpected argument "now"`},
		{"positional region", []string{"restore", east}, `unexpected argument "us-east-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Main(context.Background(), tc.args, findTest, &out)
			var ue *UsageError
			require.True(t, errors.As(err, &ue), "want a *UsageError, got %v", err)
			assert.Contains(t, ue.Problem, tc.want)
			for _, sub := range []string{"status", "drain --region R [--force]", "restore --region R", "--endpoint URL"} {
				assert.Contains(t, err.Error(), sub, "usage errors list the subcommands")
			}
			assert.Empty(t, out.String(), "a usage error changes and prints nothing")
		})
	}
}

func TestMainHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"drain", "-h"}} {
		var out bytes.Buffer
		err := Main(context.Background(), args, findTest, &out)
		require.NoError(t, err, "args %v", args)
		assert.Equal(t, Usage, out.String(), "args %v", args)
	}
}
