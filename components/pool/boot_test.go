package pool

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The boot tests run the generated user data with bash, against stand-ins for the programs it calls
// (the instance metadata through curl, the AWS CLI, Docker, dnf, systemctl, sleep) that record every
// call. Only jq is the real one.

const (
	bootInstanceID = "i-0123456789abcdef0"
	bootGroup      = "pool-asg-1a2b3c4"
	dbSecretArn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-4e5f-6789-0abc-def012345678-AbCdEf"
	cacheSecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pool-cache-auth-token-20240101-QwErTy"
	peerSecretArn  = "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-0a1b2c3d-4e5f-6789-0abc-def012345678-AbCdEf"
	dbPassword     = "Xy7#kQ9!pL2$vN5&mR8"
	cacheToken     = "tok3nTOK3Ntok3nTOK3Ntok3nTOK3Ntok3nTOK3N"
)

// fakeCurl answers the instance metadata service.
const fakeCurl = `#!/bin/bash
for a in "$@"; do case "$a" in http://*) url=$a ;; esac; done
case "$url" in
  */latest/api/token) echo metadata-token ;;
  */meta-data/instance-id) echo ` + bootInstanceID + ` ;;
  */meta-data/tags/instance/aws:autoscaling:groupName) echo ` + bootGroup + ` ;;
  *) exit 22 ;;
esac
`

// fakeAws records its arguments and answers from $FAKE: params/<name with / as _> (one value per
// line: the n-th read gets line n, or the last), settings (tab-separated), secrets/<ARN with :/ as _>.
const fakeAws = `#!/bin/bash
echo "$*" >>"$FAKE/aws.log"
arg() { local want=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  "autoscaling record-lifecycle-action-heartbeat") touch "$FAKE/heartbeat" ;;
  "autoscaling complete-lifecycle-action") ;;
  "ecr get-login-password") echo ecr-password ;;
  "ssm get-parameter")
    f="$FAKE/params/$(arg --name "$@" | tr / _)"
    [ -f "$f" ] || { echo "ParameterNotFound" >&2; exit 254; }
    n=$(( $(cat "$f.reads" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$f.reads"
    lines=$(wc -l <"$f"); [ "$n" -le "$lines" ] || n=$lines
    sed -n "${n}p" "$f" ;;
  "ssm get-parameters-by-path") cat "$FAKE/settings" ;;
  "secretsmanager get-secret-value")
    f="$FAKE/secrets/$(arg --secret-id "$@" | tr :/ __)"
    [ -f "$f" ] || { echo "ResourceNotFoundException" >&2; exit 254; }
    jq -Rs . <"$f" ;;
  *) echo "unexpected aws call" >&2; exit 2 ;;
esac
`

// fakeDocker records its arguments. A pull fails $FAKE_PULL_FAILS times per image, and until the
// instance has recorded a lifecycle heartbeat (the image arrives while the instance waits).
const fakeDocker = `#!/bin/bash
echo "$*" >>"$FAKE/docker.log"
case "$1" in
  login) cat >/dev/null ;;
  pull)
    f="$FAKE/pulls-$(echo "$2" | tr :/ __)"
    n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$f"
    [ "$n" -gt "${FAKE_PULL_FAILS:-0}" ] && [ -e "$FAKE/heartbeat" ] || { echo "manifest unknown" >&2; exit 1; } ;;
  run) [ -z "${FAKE_RUN_FAILS:-}" ] || exit 125; echo 0123456789abcdef ;;
  inspect) echo "true 2000-01-01T00:00:00.000000000Z" ;;
esac
`

// fakeSleep records the delay and sleeps a little: the heartbeats' interval a little longer than the
// retries' delays, so that the heartbeats keep coming without taking the machine.
const fakeSleep = `#!/bin/bash
echo "$1" >>"$FAKE/sleep.log"
if [ "$1" = ` + "@HEARTBEAT@" + ` ]; then exec @SLEEP@ 0.1; fi
exec @SLEEP@ 0.01
`

const fakeLogOnly = `#!/bin/bash
echo "$(basename "$0") $*" >>"$FAKE/other.log"
`

type boot struct {
	dir, etc       string
	stdout, stderr string
	err            error
}

func (b *boot) read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(b.dir, name))
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(t, err)
	return string(data)
}

func (b *boot) lines(t *testing.T, name string) []string {
	t.Helper()
	out := strings.Split(strings.TrimSpace(b.read(t, name)), "\n")
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

// runBoot runs a user data script against the stand-ins; params maps SSM parameter names to the values
// successive reads get, secrets maps ARNs to secret strings.
func runBoot(t *testing.T, script string, params map[string][]string, secrets map[string]string, env ...string) *boot {
	t.Helper()
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the boot script needs it", tool)
		}
	}
	realSleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	dir := t.TempDir()
	b := &boot{dir: dir, etc: filepath.Join(dir, "etc")}
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{bin, filepath.Join(dir, "params"), filepath.Join(dir, "secrets")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	for name, body := range map[string]string{
		"curl": fakeCurl, "aws": fakeAws, "docker": fakeDocker,
		"sleep": strings.NewReplacer("@SLEEP@", realSleep, "@HEARTBEAT@", strconv.Itoa(HeartbeatIntervalSeconds)).Replace(fakeSleep),
		"dnf":   fakeLogOnly, "systemctl": fakeLogOnly,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755))
	}
	for name, values := range params {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "params", strings.ReplaceAll(name, "/", "_")), []byte(strings.Join(values, "\n")+"\n"), 0o644))
	}
	for arn, value := range secrets {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "secrets", strings.NewReplacer(":", "_", "/", "_").Replace(arn)), []byte(value), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "settings"),
		[]byte("/ess-ha/test/database/endpoint\tdb.example.internal\n/ess-ha/test/cache/auth-token-secret-arn\t"+cacheSecretArn+"\n"), 0o644))

	// The script writes under /etc/ess-ha: run it in the test's directory instead.
	script = strings.ReplaceAll(script, "/etc/ess-ha", b.etc)
	path := filepath.Join(dir, "user-data.sh")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o700))

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Env = append([]string{"PATH=" + bin + ":/usr/local/bin:/usr/bin:/bin", "FAKE=" + dir, "HOME=" + dir}, env...)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	b.err = cmd.Run()
	require.NoError(t, ctx.Err(), "the boot script did not finish:\n%s", stderr.String())
	b.stdout, b.stderr = stdout.String(), stderr.String()
	return b
}

func essBootScript(t *testing.T, region string) string {
	t.Helper()
	p := essPool()
	urls, logs := map[string]string{}, map[string]string{}
	for _, c := range p.Containers {
		urls[c.Repository] = "123456789012.dkr.ecr." + region + ".amazonaws.com/" + c.Repository
		logs[c.Name] = "/ess-ha/test/ess/" + c.Name
	}
	script, err := UserData(region, p.Containers, urls, logs, "/ess-ha/test/", DatabaseCredentials(), CacheAuthToken())
	require.NoError(t, err)
	return script
}

var lifecycleArgs = "--region us-east-1 --lifecycle-hook-name " + LaunchHookName + " --auto-scaling-group-name " + bootGroup + " --instance-id " + bootInstanceID

func TestBootWaitsForImagesThenGoesInService(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		dbSecretArn:    `{"username":"ess","password":"` + dbPassword + `"}`,
		cacheSecretArn: cacheToken,
	}
	params := map[string][]string{
		"/ess-ha/test/database/secret-arn":         {dbSecretArn},
		"/ess-ha/test/cache/auth-token-secret-arn": {cacheSecretArn},
	}
	b := runBoot(t, essBootScript(t, "us-east-1"), params, secrets, "FAKE_PULL_FAILS=8")
	require.NoError(t, b.err, "the boot succeeds:\n%s", b.stderr)

	// Each image is retried until it arrives, with a fresh registry login before every attempt and a
	// capped exponential backoff.
	docker := b.lines(t, "docker.log")
	pulls := map[string]int{}
	for i, l := range docker {
		if strings.HasPrefix(l, "pull ") {
			pulls[strings.TrimPrefix(l, "pull ")]++
			require.Greater(t, i, 0)
			assert.True(t, strings.HasPrefix(docker[i-1], "login "), "a login precedes %q", l)
		}
	}
	require.Len(t, pulls, 3)
	for img, n := range pulls {
		assert.GreaterOrEqual(t, n, 9, "%s is pulled until it arrives (the 9th attempt at the earliest)", img)
	}
	var delays []string
	for _, m := range regexp.MustCompile(`docker pull \S+inrupt/ess-ldp:2\.3\.1 failed; next attempt in about (\d+)s`).FindAllStringSubmatch(b.stderr, -1) {
		delays = append(delays, m[1])
	}
	require.GreaterOrEqual(t, len(delays), 8)
	assert.Equal(t, []string{"5", "10", "20", "40", "80", "120", "120", "120"}, delays[:8], "the backoff doubles up to its cap")
	for _, d := range delays[8:] {
		assert.Equal(t, "120", d)
	}

	// The instance recorded heartbeats while it waited, and went in service once, at the end.
	aws := b.lines(t, "aws.log")
	firstHeartbeat, cont := -1, -1
	for i, l := range aws {
		if strings.HasPrefix(l, "autoscaling ") {
			assert.Contains(t, l, lifecycleArgs, "the lifecycle call is for this instance, its group and the hook")
		}
		if strings.HasPrefix(l, "autoscaling record-lifecycle-action-heartbeat") && firstHeartbeat < 0 {
			firstHeartbeat = i
		}
		if strings.HasPrefix(l, "autoscaling complete-lifecycle-action") {
			assert.True(t, strings.HasSuffix(l, "--lifecycle-action-result CONTINUE"), "only CONTINUE: %s", l)
			assert.Equal(t, -1, cont, "the action is completed once")
			cont = i
		}
	}
	require.GreaterOrEqual(t, firstHeartbeat, 0, "heartbeats were recorded")
	require.Greater(t, cont, firstHeartbeat, "the action is completed after waiting")
	runs := 0
	for _, l := range docker {
		if strings.HasPrefix(l, "run ") {
			runs++
		}
	}
	assert.Equal(t, 3, runs)
	for _, l := range b.lines(t, "other.log") {
		if strings.HasPrefix(l, "dnf ") {
			assert.Equal(t, "dnf install -y docker jq", l)
		}
	}

	// The secrets reach the containers through a root-only file.
	data, err := os.ReadFile(filepath.Join(b.etc, "secrets.env"))
	require.NoError(t, err)
	assert.Equal(t, "DATABASE_PASSWORD="+dbPassword+"\nDATABASE_USERNAME=ess\nCACHE_AUTH_TOKEN="+cacheToken+"\n", string(data))
	info, err := os.Stat(filepath.Join(b.etc, "secrets.env"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the secrets file is root-only")
	dirInfo, err := os.Stat(b.etc)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())
	settings, err := os.ReadFile(filepath.Join(b.etc, "containers.env"))
	require.NoError(t, err)
	assert.Equal(t, "DATABASE_ENDPOINT=db.example.internal\nCACHE_AUTH_TOKEN_SECRET_ARN="+cacheSecretArn+"\n", string(settings))
	for _, l := range docker {
		if strings.HasPrefix(l, "run ") {
			assert.Contains(t, l, "--env-file "+b.etc+"/containers.env --env-file "+b.etc+"/secrets.env ", "every container gets the settings and the secrets")
		}
	}

	// Each secret is read from Secrets Manager in the pool's region, by the ARN its parameter holds.
	var reads []string
	for _, l := range aws {
		if strings.HasPrefix(l, "secretsmanager ") {
			reads = append(reads, l)
		}
	}
	assert.Equal(t, []string{
		"secretsmanager get-secret-value --region us-east-1 --secret-id " + dbSecretArn + " --query SecretString --output json",
		"secretsmanager get-secret-value --region us-east-1 --secret-id " + cacheSecretArn + " --query SecretString --output json",
	}, reads)

	// No secret value is ever logged, nor passed to another program on its command line.
	for name, text := range map[string]string{
		"the script's output": b.stdout + b.stderr, "the AWS CLI's arguments": b.read(t, "aws.log"),
		"Docker's arguments": b.read(t, "docker.log"), "other programs' arguments": b.read(t, "other.log"),
	} {
		for _, secret := range []string{dbPassword, cacheToken} {
			assert.NotContains(t, text, secret, "%s holds no secret", name)
		}
	}
}

func TestBootReadsSecretsFromItsOwnRegionOnly(t *testing.T) {
	t.Parallel()
	// The parameter first holds the ARN of the peer region's secret (or nothing usable), then this
	// region's: the instance never reads the peer's secret and waits for its own.
	params := map[string][]string{
		"/ess-ha/test/database/secret-arn":         {peerSecretArn, "", dbSecretArn},
		"/ess-ha/test/cache/auth-token-secret-arn": {cacheSecretArn},
	}
	secrets := map[string]string{
		dbSecretArn:    `{"username":"ess","password":"` + dbPassword + `"}`,
		peerSecretArn:  `{"username":"ess","password":"peer-password"}`,
		cacheSecretArn: cacheToken,
	}
	b := runBoot(t, essBootScript(t, "us-east-1"), params, secrets)
	require.NoError(t, b.err, b.stderr)
	for _, l := range b.lines(t, "aws.log") {
		if strings.HasPrefix(l, "secretsmanager ") {
			assert.Contains(t, l, "--region us-east-1 ", "secrets are read in the pool's region")
			assert.NotContains(t, l, peerSecretArn, "the other region's secret is never read")
		}
	}
	assert.Contains(t, b.stderr, "/ess-ha/test/database/secret-arn holds no ARN of a secret in us-east-1 yet")
	data, err := os.ReadFile(filepath.Join(b.etc, "secrets.env"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "DATABASE_PASSWORD="+dbPassword+"\n")
}

func TestBootWaitsForMissingSecretFields(t *testing.T) {
	t.Parallel()
	// A secret without the field is retried (and never half-written) until the field is there: here
	// the parameter moves on to a complete secret.
	other := strings.Replace(dbSecretArn, "AbCdEf", "GhIjKl", 1)
	params := map[string][]string{
		"/ess-ha/test/database/secret-arn":         {dbSecretArn, other},
		"/ess-ha/test/cache/auth-token-secret-arn": {cacheSecretArn},
	}
	secrets := map[string]string{
		dbSecretArn:    `{"username":"ess"}`,
		other:          `{"username":"ess","password":"` + dbPassword + `"}`,
		cacheSecretArn: cacheToken,
	}
	b := runBoot(t, essBootScript(t, "us-east-1"), params, secrets)
	require.NoError(t, b.err, b.stderr)
	assert.Contains(t, b.stderr, "has no one-line string field password")
	data, err := os.ReadFile(filepath.Join(b.etc, "secrets.env"))
	require.NoError(t, err)
	assert.Equal(t, "DATABASE_PASSWORD="+dbPassword+"\nDATABASE_USERNAME=ess\nCACHE_AUTH_TOKEN="+cacheToken+"\n", string(data))
}

func TestBootAbandonsTheLaunchOnError(t *testing.T) {
	t.Parallel()
	params := map[string][]string{
		"/ess-ha/test/database/secret-arn":         {dbSecretArn},
		"/ess-ha/test/cache/auth-token-secret-arn": {cacheSecretArn},
	}
	secrets := map[string]string{dbSecretArn: `{"username":"ess","password":"p"}`, cacheSecretArn: cacheToken}
	b := runBoot(t, essBootScript(t, "us-east-1"), params, secrets, "FAKE_RUN_FAILS=1")
	require.Error(t, b.err, "a container that cannot be created fails the boot")
	var completions []string
	for _, l := range b.lines(t, "aws.log") {
		if strings.HasPrefix(l, "autoscaling complete-lifecycle-action") {
			completions = append(completions, l)
		}
	}
	assert.Equal(t, []string{"autoscaling complete-lifecycle-action " + lifecycleArgs + " --lifecycle-action-result ABANDON"}, completions,
		"the launch is abandoned, so the group replaces the instance at once")
}

func TestBootWithoutSecrets(t *testing.T) {
	t.Parallel()
	p := backendPool()
	urls, logs := map[string]string{}, map[string]string{}
	for _, c := range p.Containers {
		urls[c.Repository] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + c.Repository
		logs[c.Name] = "/ess-ha/test/backend/" + c.Name
	}
	script, err := UserData("us-east-1", p.Containers, urls, logs, "/ess-ha/test/")
	require.NoError(t, err)
	b := runBoot(t, script, nil, nil, "FAKE_PULL_FAILS=1")
	require.NoError(t, b.err, b.stderr)
	assert.NotContains(t, b.read(t, "aws.log"), "secretsmanager", "a pool without secrets reads none")
	assert.NoFileExists(t, filepath.Join(b.etc, "secrets.env"))
	assert.Contains(t, b.read(t, "other.log"), "dnf install -y docker\n")
	assert.NotContains(t, b.read(t, "docker.log"), "secrets.env")
	assert.Contains(t, b.read(t, "aws.log"), "--lifecycle-action-result CONTINUE")
}
