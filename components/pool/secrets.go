package pool

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/ess-ha/ess-ha/components/cache"
	"github.com/ess-ha/ess-ha/components/database"
)

// SecretsFile is where the user data writes the values of PoolArgs.Secrets: a root-only file (mode
// 0600 in a 0700 directory) that the containers get as a second --env-file. It is separate from EnvFile
// so that the settings, which are not secret, can be read while debugging without reading a secret.
// Docker keeps the container's environment in its own root-only configuration, so a container that
// restarts needs neither the file nor Secrets Manager: the secrets service is needed at container
// creation only, as the ESS architecture document says of secrets services.
const SecretsFile = "/etc/ess-ha/secrets.env"

// SecretEnv hands one Secrets Manager secret, whose ARN is published in SSM, to the containers as
// environment variables. The user data reads the ARN from the parameter, the secret from Secrets
// Manager in the pool's own region, and writes the variables to SecretsFile: neither the value nor the
// ARN ever passes through the program, its state, the launch template or the user data.
type SecretEnv struct {
	// Parameter is the SSM parameter, relative to PoolArgs.ParameterPath, that holds the secret's ARN,
	// such as "database/secret-arn".
	Parameter string
	// Fields maps each environment variable to what it takes from the secret: a top-level string
	// field of a JSON secret ("password"), or "" for the whole secret string of a plain-text secret.
	Fields map[string]string
}

// DatabaseCredentials is the database's master user secret, published under database/secret-arn by
// both the regional database and the Aurora global database: a JSON secret with username and password
// (RDS-managed: {"username","password"}; the global database's own: also engine, dbname and port).
// The containers get DATABASE_USERNAME and DATABASE_PASSWORD.
func DatabaseCredentials() SecretEnv {
	return SecretEnv{
		Parameter: database.ParameterSecretArn,
		Fields:    map[string]string{"DATABASE_USERNAME": "username", "DATABASE_PASSWORD": "password"},
	}
}

// CacheAuthToken is the cache's Redis auth token, published under cache/auth-token-secret-arn: a
// plain-text secret (the token itself). The containers get CACHE_AUTH_TOKEN.
func CacheAuthToken() SecretEnv {
	return SecretEnv{
		Parameter: cache.ParameterAuthTokenSecretArn,
		Fields:    map[string]string{"CACHE_AUTH_TOKEN": ""},
	}
}

var (
	relativeParameterPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	envNamePattern           = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)
	jsonKeyPattern           = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
)

// validateSecrets checks the secrets a pool hands to its containers; field names the argument.
func validateSecrets(field string, secrets []SecretEnv) error {
	var errs []error
	seen := map[string]string{}
	for i, s := range secrets {
		where := fmt.Sprintf("%s[%d]", field, i)
		if !relativeParameterPattern.MatchString(s.Parameter) {
			errs = append(errs, fmt.Errorf("%s.Parameter = %q is invalid: use the parameter's path relative to the parameter path, such as %s", where, s.Parameter, database.ParameterSecretArn))
		}
		if len(s.Fields) == 0 {
			errs = append(errs, fmt.Errorf("%s.Fields is empty: map at least one environment variable to a field of the secret (\"\" for a plain-text secret)", where))
		}
		for _, env := range sortedKeys(s.Fields) {
			key := s.Fields[env]
			if !envNamePattern.MatchString(env) {
				errs = append(errs, fmt.Errorf("%s.Fields: %q is not an environment variable name: use upper-case letters, digits and _, such as DATABASE_PASSWORD", where, env))
			}
			if key != "" && !jsonKeyPattern.MatchString(key) {
				errs = append(errs, fmt.Errorf("%s.Fields[%s] = %q is not a field name: use the secret's top-level JSON key, such as password, or \"\" for the whole secret", where, env, key))
			}
			if other, dup := seen[env]; dup {
				errs = append(errs, fmt.Errorf("%s.Fields: %s is already set by %s: give each environment variable one source", where, env, other))
			}
			seen[env] = where
		}
	}
	return errors.Join(errs...)
}
