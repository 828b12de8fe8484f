package images

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExtract(t *testing.T) {
	t.Parallel()
	const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	cases := []struct {
		name   string
		script string
		want   []string // Ref values, in order
		unres  [][]string
	}{
		{"docker run with flags", `docker run -d --restart always --name web -p 80:80 -e A=b -v /a:/b nginx:1.25 nginx -g 'daemon off;'`,
			[]string{"nginx:1.25"}, nil},
		{"short flag clusters", "docker run -dit --rm alpine sh\ndocker run -it -p8080:80 busybox", []string{"alpine", "busybox"}, nil},
		{"long flags with =", `docker run --name=x --log-opt=max-size=10m --sig-proxy=false ghcr.io/org/app:1`, []string{"ghcr.io/org/app:1"}, nil},
		{"docker pull and create", "docker pull quay.io/prometheus/prometheus:v2\ndocker create --name c public.ecr.aws/nginx/nginx", []string{"quay.io/prometheus/prometheus:v2", "public.ecr.aws/nginx/nginx"}, nil},
		{"container and image subcommands", "docker container run -d redis\ndocker image pull -q library/postgres:16", []string{"redis", "library/postgres:16"}, nil},
		{"global flags", "docker --config /etc/docker run -d gcr.io/x/y\ndocker -H unix:///var/run/docker.sock pull mcr.microsoft.com/dotnet/runtime", []string{"gcr.io/x/y", "mcr.microsoft.com/dotnet/runtime"}, nil},
		{"podman and nerdctl", "podman run --rm --pull always registry.k8s.io/pause:3.9\nnerdctl pull docker.io/library/nginx", []string{"registry.k8s.io/pause:3.9", "docker.io/library/nginx"}, nil},
		{"ctr and crictl", "ctr -n k8s.io images pull --all-platforms docker.io/library/redis:7\nctr run --rm --net-host quay.io/a/b:1 task1\ncrictl pull k8s.gcr.io/pause", []string{"docker.io/library/redis:7", "quay.io/a/b:1", "k8s.gcr.io/pause"}, nil},
		{"sudo, env and assignments before the command", "sudo -u ec2-user docker run -d nginx\nFOO=1 exec docker pull alpine\ntimeout 60 docker pull busybox", []string{"nginx", "alpine", "busybox"}, nil},
		{"pipelines and lists", "aws ecr get-login-password | docker login --username AWS --password-stdin " + ecr + " && docker pull " + ecr + "/a:1; docker run -d " + ecr + "/a:1", []string{ecr + "/a:1", ecr + "/a:1"}, nil},
		{"line continuation", "docker run -d \\\n  --name web \\\n  -p 80:80 \\\n  " + ecr + "/web:2", []string{ecr + "/web:2"}, nil},
		{"variables", "REGISTRY=" + ecr + "\nexport TAG=\"2.3.1\"\ndocker run -d \"$REGISTRY/inrupt/ess-ldp:${TAG}\"", []string{ecr + "/inrupt/ess-ldp:2.3.1"}, nil},
		{"default values", "docker run -d ${REG:-" + ecr + "}/x:1", []string{ecr + "/x:1"}, nil},
		{"unresolved variables", "docker run -d $REGISTRY/x:1", []string{"$REGISTRY/x:1"}, [][]string{{"REGISTRY"}}},
		{"command substitution is unresolved", "ACCOUNT=$(aws sts get-caller-identity --query Account --output text)\ndocker pull ${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/x:1", []string{"${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/x:1"}, [][]string{{"ACCOUNT"}}},
		{"single quotes are literal", `docker run -d '$X/y'`, []string{"$X/y"}, nil},
		{"cloud-config runcmd", "#cloud-config\nruncmd:\n  - docker run -d nginx\n  - [ docker, pull, alpine ]\n  - \"podman run -d redis\"", []string{"nginx", "alpine", "redis"}, nil},
		{"systemd unit", "[Service]\nExecStartPre=-/usr/bin/docker pull " + ecr + "/a:1\nExecStart=/usr/bin/docker run --rm --name a " + ecr + "/a:1", []string{ecr + "/a:1", ecr + "/a:1"}, nil},
		{"compose and k8s yaml", "services:\n  web:\n    image: nginx:1.25\n  db:\n    image: \"" + ecr + "/db:1\"\n", []string{"nginx:1.25", ecr + "/db:1"}, nil},
		{"json container definitions", `[{"name":"a","image":"` + ecr + `/a:1"},{"name":"b","image":"docker.io/b"}]`, []string{ecr + "/a:1", "docker.io/b"}, nil},
		{"dockerfile", "FROM --platform=linux/amd64 golang:1.22 AS build\nRUN go build\nFROM build AS test\nFROM scratch\nFROM " + ecr + "/base:1", []string{"golang:1.22", ecr + "/base:1"}, nil},
		{"shell functions that run their arguments", "retry() { for i in 1 2 3; do \"$@\" && return 0; sleep 5; done; return 1; }\n" +
			"with_lock() {\n  flock /tmp/l \"$@\"\n}\nlog() { echo \"$1\"; }\nretry docker pull " + ecr + "/a:1\nwith_lock docker run -d quay.io/x/y\nlog docker run nope",
			[]string{ecr + "/a:1", "quay.io/x/y"}, nil},
		{"not images", "docker login -u AWS -p x " + ecr + "\ndocker ps -a\ndocker build -t app .\necho docker run nginx-is-text\n# docker run commented", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Extract(c.script)
			var refs []string
			var unres [][]string
			for _, g := range got {
				refs = append(refs, g.Ref)
				if len(g.Unresolved) > 0 {
					unres = append(unres, g.Unresolved)
				}
			}
			assert.Equal(t, c.want, refs)
			assert.Equal(t, c.unres, unres)
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ref        string
		private    bool
		account    string
		region     string
		repo       string
		name       string
		unresolved bool
	}{
		{"nginx", false, "", "", "nginx", "Docker Hub", false},
		{"library/nginx:1.25", false, "", "", "library/nginx", "Docker Hub", false},
		{"docker.io/bitnami/redis@sha256:abc", false, "", "", "bitnami/redis", "Docker Hub", false},
		{"public.ecr.aws/nginx/nginx:1", false, "", "", "nginx/nginx", "Amazon ECR Public", false},
		{"ghcr.io/o/a:1", false, "", "", "o/a", "GitHub Container Registry", false},
		{"localhost:5000/a", false, "", "", "a", "registry localhost:5000", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/inrupt/ess-ldp:2.3.1", true, "123456789012", "us-east-1", "inrupt/ess-ldp", "private ECR registry of account 123456789012 in us-east-1", false},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a@sha256:00", true, "123456789012", "us-gov-west-1", "a", "private ECR registry of account 123456789012 in us-gov-west-1", false},
		{"${ACCOUNT}.dkr.ecr.$REGION.amazonaws.com/a:1", true, "", "", "a", "private ECR registry", false},
		{"$REGISTRY/a:1", false, "", "", "a", "registry $REGISTRY", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com/a", false, "", "", "a", "registry 123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com", false},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			r := Classify(c.ref)
			assert.Equal(t, c.private, r.PrivateECR)
			assert.Equal(t, c.account, r.Account)
			assert.Equal(t, c.region, r.Region)
			assert.Equal(t, c.repo, r.Repository)
			assert.Equal(t, c.name, r.Name)
			assert.Equal(t, c.unresolved, r.HostUnresolved)
		})
	}
}

func TestDecodeUserData(t *testing.T) {
	t.Parallel()
	script := "#!/bin/bash\ndocker run nginx\n"
	assert.Equal(t, script, DecodeUserData(script))
	assert.Equal(t, script, DecodeUserData(base64.StdEncoding.EncodeToString([]byte(script))))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(script))
	_ = zw.Close()
	assert.Equal(t, script, DecodeUserData(base64.StdEncoding.EncodeToString(buf.Bytes())))
}

// TestImageishIsThePattern checks the hand-written imageish against the pattern it replaces, on every
// string of up to two bytes and on references of every shape the extractor meets.
func TestImageishIsThePattern(t *testing.T) {
	t.Parallel()
	pattern := regexp.MustCompile(`^[A-Za-z0-9\x00_][A-Za-z0-9\x00_.\-/:@+]*$`)
	inputs := []string{
		"", "nginx", "nginx:1.27", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ess:2.1@sha256:abc",
		"\x00REGISTRY/ess", "-rm", ".hidden", "/abs", "ghcr.io/o/i+x", "a b", "ess\n", "é", "docker.io/library/ü",
	}
	for a := range 256 {
		inputs = append(inputs, string([]byte{byte(a)}))
		for _, b := range []byte{0, '-', '.', 'a', 'Z', '9', ' ', '$', 0x80, 0xff} {
			inputs = append(inputs, string([]byte{byte(a), b}), string([]byte{b, byte(a)}))
		}
	}
	for _, s := range inputs {
		assert.Equal(t, pattern.MatchString(s), imageish(s), "%q", s)
	}
}
