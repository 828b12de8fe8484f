package policytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// LoadStateFile reads a state file (see LoadState).
func LoadStateFile(path string) (*policy.Stack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	st, err := LoadState(b)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return st, nil
}

// LoadState turns a Pulumi state file into the stack AnalyzeStack would see after deployment: every
// resource not pending deletion, with its outputs as properties. It accepts the output of `pulumi stack
// export` ({"version": 3, "deployment": {...}}) and a bare deployment. Encrypted secrets are not
// decrypted: they become secrets whose value is the string "[secret]".
func LoadState(data []byte) (*policy.Stack, error) {
	var untyped apitype.UntypedDeployment
	if err := json.Unmarshal(data, &untyped); err != nil {
		return nil, fmt.Errorf("decoding state: %w", err)
	}
	body := []byte(untyped.Deployment)
	if len(body) == 0 {
		body = data // a bare deployment
	} else if untyped.Version != 0 && untyped.Version != 3 {
		return nil, fmt.Errorf("unsupported deployment version %d (want 3)", untyped.Version)
	}
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(body, &dep); err != nil {
		return nil, fmt.Errorf("decoding deployment: %w", err)
	}
	if dep.Resources == nil {
		return nil, errors.New("the state has no resources")
	}
	st := &policy.Stack{Resources: make([]*policy.Resource, 0, len(dep.Resources))}
	for _, r := range dep.Resources {
		if r.Delete {
			continue
		}
		props, err := stack.DeserializeProperties(orEmpty(r.Outputs), blindDecrypter{})
		if err != nil {
			return nil, fmt.Errorf("resource %s: outputs: %w", r.URN, err)
		}
		res := &policy.Resource{
			URN:          r.URN,
			Type:         string(r.Type),
			Name:         urnName(r.URN),
			ID:           string(r.ID),
			Provider:     r.Provider,
			Parent:       r.Parent,
			Properties:   props,
			Dependencies: r.Dependencies,
		}
		if len(r.PropertyDependencies) > 0 {
			res.PropertyDependencies = policy.PropertyDependenciesOf(r.PropertyDependencies)
		}
		st.Resources = append(st.Resources, res)
	}
	return st, nil
}

// urnName returns the name part of a URN, or "" when the URN is not well formed (the SDK's accessors
// panic on one).
func urnName(u resource.URN) string {
	if !u.IsValid() {
		return ""
	}
	return u.Name()
}
