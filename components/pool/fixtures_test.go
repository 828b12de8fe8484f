package pool

// Fixtures of the pool tests: the two pools the stacks run, as the pool's own Args (the tests of
// components/region check that config maps to them).

// testAMI resolves the latest Amazon Linux 2023 AMI when the launch template is created.
const testAMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

// testPool is what a pool is given besides the wiring: its instance types, sizes and containers.
type testPool struct {
	InstanceTypes []string
	MinPerZone    int
	MaxSize       int
	Containers    []Container
}

// essPool is the ess pool of the shipped stacks.
func essPool() testPool {
	return testPool{
		InstanceTypes: []string{"m6i.large", "m6a.large", "m5.large"},
		MinPerZone:    1,
		MaxSize:       9,
		Containers: []Container{
			{Name: "ess-ldp", Repository: "inrupt/ess-ldp", Tag: "2.3.1", Port: 8081},
			{Name: "ess-identity", Repository: "inrupt/ess-identity", Tag: "2.3.1", Port: 8082},
			{Name: "ess-oidc-broker", Repository: "inrupt/ess-oidc-broker", Tag: "2.3.1", Port: 8083},
		},
	}
}

// backendPool is the backend pool of the shipped stacks.
func backendPool() testPool {
	return testPool{
		InstanceTypes: []string{"m6i.large", "m6a.large", "m5.large"},
		MinPerZone:    0,
		MaxSize:       3,
		Containers: []Container{
			{Name: "prometheus", Repository: "backend/prometheus", Tag: "v2.53.0"},
			{Name: "fluent-bit", Repository: "backend/fluent-bit", Tag: "3.1.4"},
		},
	}
}
