package pool

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// EnvFile is where the user data writes the settings read from SSM; every container gets it with
// --env-file. Parameter <path>/database/endpoint becomes DATABASE_ENDPOINT.
const EnvFile = "/etc/ess-ha/containers.env"

// The boot sequence's timing. The instance records a lifecycle heartbeat every HeartbeatIntervalSeconds
// while it waits, so the hook (LaunchHookHeartbeatSeconds) only times out when the instance is dead;
// failed attempts are retried after RetryFirstDelaySeconds, doubling up to RetryMaxDelaySeconds.
const (
	HeartbeatIntervalSeconds = 60
	RetryFirstDelaySeconds   = 5
	RetryMaxDelaySeconds     = 120
	// ContainerSettleSeconds is how long every container must have been running (not restarting)
	// before the instance goes in service.
	ContainerSettleSeconds = 30
	// lifecycleAttempts bounds the attempts to complete the lifecycle action (about 8 minutes, inside
	// the heartbeat timeout, with the heartbeats still running).
	lifecycleAttempts = 8
)

var (
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	// A private ECR repository URL: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>.
	repoURLPattern = regexp.MustCompile(`^([0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)/(.+)$`)
)

// NormalizePath returns an SSM parameter path without its trailing slash ("/ess-ha/prod/" becomes
// "/ess-ha/prod"), or an error naming the field when it is not a path below the root.
func NormalizePath(field, path string) (string, error) {
	if !awsname.IsSSMPath(path) {
		return "", fmt.Errorf("%s = %q is not an SSM parameter path: use a path below the root such as /ess-ha/prod-us-east-1/", field, path)
	}
	return strings.TrimSuffix(path, "/"), nil
}

// RegistryHost returns the registry part of a private ECR repository URL (before the first "/"),
// checking that the URL is one of region's private ECR repositories and names repository.
func RegistryHost(region, repository, url string) (string, error) {
	m := repoURLPattern.FindStringSubmatch(url)
	if len(m) != 4 || m[2] != region || m[3] != repository {
		return "", fmt.Errorf("repository URL %q is not the private ECR repository %s of region %s (<account>.dkr.ecr.%s.amazonaws.com/%s)", url, repository, region, region, repository)
	}
	return m[1], nil
}

// UserData returns the bash script a pool instance runs at first boot, while the group's launch
// lifecycle hook (LaunchHookName) holds it in Pending:Wait, neither counted in service nor registered
// with the load balancers:
//
//  1. it reads its instance ID and its group's name (the aws:autoscaling:groupName tag) from the
//     instance metadata, and records a lifecycle heartbeat every HeartbeatIntervalSeconds from then on;
//  2. it installs Docker (and jq when there are secrets);
//  3. it pulls every image, <private repository URL>:<tag>, logging in to the region's private ECR
//     registry before each attempt: an image that is not in the registry yet (the repositories are
//     created by the same deployment as the instances) is retried with capped exponential backoff
//     until it arrives;
//  4. it writes secrets: for each SecretEnv, the secret whose ARN the SSM parameter holds is read from
//     Secrets Manager in region (an ARN of another region is refused and the parameter read again),
//     and its fields go to SecretsFile (mode 0600), retried like the pulls;
//  5. it writes the settings under parameterPath in SSM to EnvFile, retried;
//  6. it runs every container with its logs in CloudWatch, waits until each has been running for
//     ContainerSettleSeconds, and completes the lifecycle action with CONTINUE.
//
// Any other failure completes the lifecycle action with ABANDON, and the group replaces the instance.
//
// repoURLs are keyed by repository name and logGroups by container name. Every value is checked
// against a strict pattern, so the script needs no quoting of values, and every image reference is
// exactly the private repository URL and the tag. The script holds no secret and no secret ARN: only
// the names of the SSM parameters that hold the ARNs.
func UserData(region string, containers []Container, repoURLs, logGroups map[string]string, parameterPath string, secrets ...SecretEnv) (string, error) {
	var errs []error
	if !awsname.IsRegion(region) {
		errs = append(errs, fmt.Errorf("region %q is not an AWS region such as us-east-1", region))
	}
	path, err := NormalizePath("parameter path", parameterPath)
	if err != nil {
		errs = append(errs, err)
	}
	if len(containers) == 0 {
		errs = append(errs, errors.New("containers is empty: a pool must run at least one container"))
	}
	hosts := map[string]bool{}
	names := map[string]bool{}
	for i, c := range containers {
		where := fmt.Sprintf("containers[%d] (%s)", i, c.Name)
		if !namePattern.MatchString(c.Name) || names[c.Name] {
			errs = append(errs, fmt.Errorf("%s: name must be a unique lower-case name such as ess-ldp", where))
		}
		names[c.Name] = true
		if !awsname.IsECRRepository(c.Repository) {
			errs = append(errs, fmt.Errorf("%s: repository %q must be a private ECR repository name such as inrupt/ess-ldp", where, c.Repository))
		}
		if !awsname.IsImageTag(c.Tag) {
			errs = append(errs, fmt.Errorf("%s: tag %q must be a fixed image tag such as 2.3.1", where, c.Tag))
		}
		if c.Port < 0 || c.Port > 65535 {
			errs = append(errs, fmt.Errorf("%s: port %d must be from 1 to 65535, or 0 for none", where, c.Port))
		}
		if url, ok := repoURLs[c.Repository]; !ok {
			errs = append(errs, fmt.Errorf("%s: no repository URL for %s", where, c.Repository))
		} else if host, err := RegistryHost(region, c.Repository, url); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		} else {
			hosts[host] = true
		}
		if g, ok := logGroups[c.Name]; !ok {
			errs = append(errs, fmt.Errorf("%s: no log group for the container", where))
		} else if !awsname.IsLogGroup(g) {
			errs = append(errs, fmt.Errorf("%s: log group %q is not a valid log group name", where, g))
		}
	}
	if err := validateSecrets("secrets", secrets); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("building the user data: %w", err)
	}

	s := &script{region: region, path: path, partition: partitionOf(region)}
	s.header()
	s.boot(len(secrets) > 0)
	s.pulls(sortedHosts(hosts), containers, repoURLs)
	envFiles := " --env-file " + EnvFile
	if len(secrets) > 0 {
		s.secrets(secrets)
		envFiles += " --env-file " + SecretsFile
	}
	s.settings()
	s.run(containers, repoURLs, logGroups, envFiles)
	return s.String(), nil
}

// script builds the user data; every value it writes was validated by UserData.
type script struct {
	strings.Builder
	region, path, partition string
}

// raw writes lines as they are, after replacing the @REGION@, @HOOK@, @DIR@... placeholders.
func (s *script) raw(lines string) {
	r := strings.NewReplacer(
		"@REGION@", s.region,
		"@HOOK@", LaunchHookName,
		"@DIR@", EnvFile[:strings.LastIndex(EnvFile, "/")],
		"@HEARTBEAT@", strconv.Itoa(HeartbeatIntervalSeconds),
		"@FIRST@", strconv.Itoa(RetryFirstDelaySeconds),
		"@MAX@", strconv.Itoa(RetryMaxDelaySeconds),
		"@ATTEMPTS@", strconv.Itoa(lifecycleAttempts),
		"@SETTLE@", strconv.Itoa(ContainerSettleSeconds),
		"@PATH@", s.path,
		"@PARTITION@", s.partition,
		"@ENVFILE@", EnvFile,
		"@SECRETSFILE@", SecretsFile,
	)
	s.WriteString(r.Replace(lines))
}

func (s *script) header() {
	s.raw(`#!/bin/bash
# Generated by ess-ha: runs the pool's containers from the region's private ECR registry.
#
# The launch lifecycle hook @HOOK@ holds this instance in Pending:Wait (not in service, not
# behind the load balancers) while it boots, recording a heartbeat every @HEARTBEAT@ s. Images not in the
# registry yet, settings and secrets not published yet are retried with capped exponential backoff.
# Once every container runs, it completes the lifecycle action with CONTINUE; on an error, ABANDON.
set -euo pipefail
umask 077

log() { echo "ess-ha: $*" >&2; }

# retry_forever COMMAND...: runs COMMAND until it succeeds, waiting @FIRST@ s after the first failure and
# twice as long after each next one, up to @MAX@ s (with jitter).
retry_forever() {
  local delay=@FIRST@
  until "$@"; do
    log "$* failed; next attempt in about ${delay}s"
    sleep "$((delay / 2 + RANDOM % (delay / 2 + 1)))"
    delay=$((delay * 2 > @MAX@ ? @MAX@ : delay * 2))
  done
}

# retry ATTEMPTS COMMAND...: the same, giving up after ATTEMPTS attempts.
retry() {
  local attempts=$1 delay=@FIRST@
  shift
  until "$@"; do
    attempts=$((attempts - 1))
    if [ "$attempts" -le 0 ]; then
      log "$* failed; giving up"
      return 1
    fi
    log "$* failed; next attempt in about ${delay}s"
    sleep "$((delay / 2 + RANDOM % (delay / 2 + 1)))"
    delay=$((delay * 2 > @MAX@ ? @MAX@ : delay * 2))
  done
}

# imds PATH: reads the instance metadata (IMDSv2).
imds() {
  local token
  token="$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" &&
    curl -fsS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

INSTANCE_ID=""
GROUP=""
HEARTBEATS=""
LAUNCHED=""

# lifecycle ACTION ARGS...: calls an Auto Scaling lifecycle action for this instance and the hook.
lifecycle() {
  aws autoscaling "$1" --region @REGION@ --lifecycle-hook-name @HOOK@ --auto-scaling-group-name "$GROUP" --instance-id "$INSTANCE_ID" "${@:2}"
}

# heartbeats: keeps the instance in Pending:Wait while it waits, however long that takes (up to the
# hook's global timeout).
heartbeats() {
  while sleep @HEARTBEAT@; do
    lifecycle record-lifecycle-action-heartbeat || log "recording a lifecycle heartbeat failed"
  done
}

# finish: on exit, stops the heartbeats and, unless the instance went in service, abandons the launch
# so that the group replaces the instance.
finish() {
  local status=$?
  if [ -n "$HEARTBEATS" ]; then
    kill "$HEARTBEATS" 2>/dev/null || true
  fi
  if [ -z "$LAUNCHED" ] && [ -n "$GROUP" ]; then
    log "boot failed (exit status $status): abandoning the launch"
    lifecycle complete-lifecycle-action --lifecycle-action-result ABANDON || true
  fi
}
trap finish EXIT

`)
}

func (s *script) boot(secrets bool) {
	packages := "docker"
	if secrets {
		packages += " jq"
	}
	s.raw(`INSTANCE_ID="$(retry 10 imds instance-id)"
# The launch template lets the instance read its tags: the group's name is aws:autoscaling:groupName.
GROUP="$(retry 10 imds tags/instance/aws:autoscaling:groupName)"
heartbeats &
HEARTBEATS=$!

retry_forever dnf install -y ` + packages + `
systemctl enable --now docker
install -d -m 0700 @DIR@

`)
}

func (s *script) pulls(hosts []string, containers []Container, repoURLs map[string]string) {
	s.raw("# ecr_login: logs in to the region's private registry (a login lasts 12 hours; a wait for an\n" +
		"# image may be longer, so every pull attempt logs in again).\n")
	s.raw("ecr_login() {\n")
	for i, h := range hosts {
		sep := " &&"
		if i == len(hosts)-1 {
			sep = ""
		}
		s.raw("  aws ecr get-login-password --region @REGION@ | docker login --username AWS --password-stdin " + h + " >/dev/null" + sep + "\n")
	}
	s.raw("}\n")
	s.raw(`# with_ecr_login COMMAND...: logs in, then runs COMMAND.
with_ecr_login() { ecr_login && "$@"; }

# Pull every image, waiting for those not pushed yet.
`)
	for _, c := range containers {
		s.raw("retry_forever with_ecr_login docker pull " + repoURLs[c.Repository] + ":" + c.Tag + "\n")
	}
	s.raw("\n")
}

func (s *script) secrets(secrets []SecretEnv) {
	s.raw(`# secret PARAMETER: prints the secret string of the secret whose ARN the SSM parameter holds. It
# fails (to be retried) while the parameter is missing or holds no ARN of a secret in @REGION@: the
# instance reads secrets from its own region only.
secret() {
  local arn
  arn="$(aws ssm get-parameter --region @REGION@ --name "$1" --query Parameter.Value --output text)" || return 1
  if [[ ! "$arn" =~ ^arn:@PARTITION@:secretsmanager:@REGION@:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$ ]]; then
    log "$1 holds no ARN of a secret in @REGION@ yet"
    return 1
  fi
  aws secretsmanager get-secret-value --region @REGION@ --secret-id "$arn" --query SecretString --output json | jq -er 'strings'
}

# field KEY: prints the top-level string field KEY of the JSON secret on standard input.
field() { jq -er --arg key "$1" '.[$key] | strings' 2>/dev/null; }

# one_line VALUE: the value fits a line of an env file.
one_line() { [[ -n "$1" && "$1" != *$'\n'* && "$1" != *$'\r'* ]]; }

# secrets_env: prints the containers' secret variables. No value is ever logged or passed as an
# argument to another program: printf is a shell builtin, and jq reads the secret on standard input.
secrets_env() {
  local s v
`)
	for _, sec := range secrets {
		param := s.path + "/" + sec.Parameter
		s.raw("  s=\"$(secret " + param + ")\" || return 1\n")
		for _, env := range sortedKeys(sec.Fields) {
			key := sec.Fields[env]
			if key == "" {
				s.raw("  v=\"$s\"\n")
				s.raw("  one_line \"$v\" || { log \"the secret of " + param + " is not a one-line string\"; return 1; }\n")
			} else {
				s.raw("  v=\"$(printf '%s' \"$s\" | field " + key + ")\" && one_line \"$v\" ||\n")
				s.raw("    { log \"the secret of " + param + " has no one-line string field " + key + "\"; return 1; }\n")
			}
			s.raw("  printf '" + env + "=%s\\n' \"$v\"\n")
		}
	}
	s.raw(`}

# write_secrets: writes @SECRETSFILE@ (root only) in one step.
write_secrets() {
  secrets_env >@SECRETSFILE@.new || {
    rm -f @SECRETSFILE@.new
    return 1
  }
  chmod 0600 @SECRETSFILE@.new
  mv @SECRETSFILE@.new @SECRETSFILE@
}
retry_forever write_secrets

`)
}

func (s *script) settings() {
	s.raw(`# settings: writes the settings published under @PATH@ to @ENVFILE@
# (<path>/database/endpoint becomes DATABASE_ENDPOINT).
settings() {
  aws ssm get-parameters-by-path --region @REGION@ --path @PATH@ --recursive --with-decryption --query 'Parameters[].[Name,Value]' --output text |
    while IFS=$'\t' read -r name value; do
      key="${name#@PATH@/}"
      printf '%s=%s\n' "$(printf '%s' "$key" | tr 'a-z/.-' 'A-Z___')" "$value"
    done >@ENVFILE@
}
retry_forever settings

`)
}

func (s *script) run(containers []Container, repoURLs, logGroups map[string]string, envFiles string) {
	for _, c := range containers {
		ports := ""
		if c.Port > 0 {
			ports = fmt.Sprintf(" -p %d:%d", c.Port, c.Port)
		}
		s.raw(fmt.Sprintf("docker run -d --restart always --name %s --log-driver awslogs --log-opt awslogs-group=%s --log-opt awslogs-region=@REGION@ --log-opt awslogs-stream=\"$INSTANCE_ID/%s\"%s%s %s\n",
			c.Name, logGroups[c.Name], c.Name, ports, envFiles, repoURLs[c.Repository]+":"+c.Tag))
	}
	s.raw(`
# running_for NAME SECONDS: the container has been running for SECONDS (Docker restarts a container
# that exits, which moves its start time on).
running_for() {
  local state
  state="$(docker inspect --format '{{.State.Running}} {{.State.StartedAt}}' "$1")" || return 1
  [ "${state%% *}" = true ] || return 1
  [ "$(($(date +%s) - $(date -d "${state#* }" +%s)))" -ge "$2" ]
}
`)
	for _, c := range containers {
		s.raw("retry_forever running_for " + c.Name + " @SETTLE@\n")
	}
	s.raw(`
retry @ATTEMPTS@ lifecycle complete-lifecycle-action --lifecycle-action-result CONTINUE
LAUNCHED=1
log "every container runs: the instance goes in service"
`)
}

func sortedHosts(hosts map[string]bool) []string {
	out := make([]string, 0, len(hosts))
	for h := range hosts {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}
