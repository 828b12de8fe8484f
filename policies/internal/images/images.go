// Package images finds the container images that EC2 user data and container definitions run, and says
// which registry each one pulls from. It reads user data as an instance would (base64, gzip), then the
// script as a shell, cloud-init, systemd, compose, Kubernetes YAML, JSON or Dockerfile text would name an
// image: `docker|podman|nerdctl|finch run|create|pull`, `ctr` and `crictl`, `image:` keys and `FROM`
// lines, with the shell variables the script sets substituted. It never runs anything, and it accepts
// any input: what it cannot read finds no image.
//
// The policies use it (ha-private-registry) to tell images from a private ECR registry from public ones.
package images

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ref is one container image reference found in user data or a container definition.
type Ref struct {
	// Ref is the reference with the variables that could be resolved substituted; unresolved ones are
	// left as written ($NAME or ${NAME}).
	Ref string
	// Line is the 1-based line it was found on (0 when not from a script).
	Line int
	// Via says how it was found: "docker run", "podman pull", "ctr images pull", "image:", "FROM", ...
	Via string
	// Unresolved lists the shell variables the reference uses that the script does not set to a literal.
	Unresolved []string
}

// unresolvedMark wraps the name of an unresolved variable inside a reference while it is classified.
const unresolvedMark = "\x00"

// DecodeUserData returns the script in EC2 user data: base64-decoded when it is base64 (launch templates
// require it; instances accept either), and gunzipped when compressed.
func DecodeUserData(s string) string {
	data := []byte(nil) // nil: s itself, not copied unless it must be gunzipped
	trimmed := s
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 { // base64 wrapped over lines: the spaces go
		trimmed = strings.Join(strings.Fields(s), "")
	}
	if trimmed != "" && len(trimmed)%4 == 0 {
		if dec, err := base64.StdEncoding.DecodeString(trimmed); err == nil && (utf8.Valid(dec) || isGzip(dec)) {
			data = dec
		}
	}
	if data == nil {
		if !isGzip(s) {
			return s
		}
		data = []byte(s)
	}
	if isGzip(data) {
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			if dec, err := io.ReadAll(io.LimitReader(zr, 16<<20)); err == nil {
				data = dec
			}
		}
	}
	return string(data)
}

func isGzip[T string | []byte](b T) bool { return len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b }

// Patterns the extractor uses.
var (
	assignRe    = regexp.MustCompile(`^(?:export\s+|readonly\s+|local\s+|declare\s+(?:-[a-zA-Z]+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	imageKeyRe  = regexp.MustCompile(`^\s*(?:-\s*)?["']?image["']?\s*:\s*["']?([^"'\s,}#]+)`)
	imageJSONRe = regexp.MustCompile(`"image"\s*:\s*"([^"]+)"`)
	fromRe      = regexp.MustCompile(`(?i)^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?`)
	funcRe      = regexp.MustCompile(`^\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)\s*(.*)$`)
	varRe       = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)
)

// Extract finds the container images a user-data script (shell, cloud-config, systemd units,
// compose or Kubernetes YAML, JSON) runs or pulls: the image of `docker|podman|nerdctl|finch run|create`
// (also `container run`), of `... pull` (also `image pull`), of `ctr images pull` and `ctr run`, of
// `crictl pull`, of `image:` keys and Dockerfile `FROM` lines. Shell variables set in the script to a
// literal are substituted; others are reported in Ref.Unresolved.
func Extract(script string) []Ref {
	vars := map[string]string{}
	var out []Ref
	stages := map[string]bool{}
	lines := joinContinuations(strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), "\n"))
	runners := commandRunners(lines)
	for _, ln := range lines {
		text := strings.TrimSpace(ln.text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		// A pattern is tried only on a line with the literal text it cannot match without: most lines of
		// a script have none, and a search for a substring costs far less than a regexp.
		if strings.Contains(text, `"image"`) {
			if ms := imageJSONRe.FindAllStringSubmatch(text, -1); ms != nil {
				for _, m := range ms {
					out = appendRef(out, resolveRef(m[1], vars, ln.no, "image:"))
				}
				continue
			}
		}
		if strings.Contains(text, "image") {
			if m := imageKeyRe.FindStringSubmatch(text); m != nil {
				out = appendRef(out, resolveRef(m[1], vars, ln.no, "image:"))
				continue
			}
		}
		if startsWithFrom(text) {
			if m := fromRe.FindStringSubmatch(text); m != nil && len(strings.Fields(text)) <= 5 {
				if m[2] != "" {
					stages[strings.ToLower(m[2])] = true
				}
				if img := m[1]; !stages[strings.ToLower(img)] && img != "scratch" {
					out = appendRef(out, resolveRef(img, vars, ln.no, "FROM"))
				}
				continue
			}
		}
		for _, cmd := range splitCommands(cloudInitItem(text)) {
			words := shellWords(cmd)
			if len(words) == 0 {
				continue
			}
			if isDeclare(cmd) || (len(words) == 1 && assignRe.MatchString(words[0])) {
				for _, w := range words {
					if m := assignRe.FindStringSubmatch(w); m != nil && !strings.HasPrefix(w, "-") {
						vars[m[1]] = assignValue(m[2], vars)
					}
				}
				continue
			}
			if img, via, ok := imageOfCommand(words, runners); ok {
				out = appendRef(out, resolveRef(img, vars, ln.no, via))
			}
		}
	}
	return out
}

// startsWithFrom reports whether a trimmed line can be a Dockerfile FROM line: fromRe matches only those
// (F, R, O and M have no case variants beyond ASCII).
func startsWithFrom(text string) bool {
	return len(text) >= len("FROM") && strings.EqualFold(text[:len("FROM")], "FROM")
}

// appendRef keeps references that can be images (or that use unresolved variables).
func appendRef(out []Ref, ref Ref) []Ref {
	if len(ref.Unresolved) == 0 && !looksLikeImage(ref.Ref) {
		return out
	}
	return append(out, ref)
}

// commandRunners finds the shell functions of a script that run their arguments as a command ("$@"),
// such as retry() { for i in 1 2 3; do "$@" && return 0; sleep 5; done; }: a line calling one runs the
// rest of the line.
func commandRunners(lines []line) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		if !strings.Contains(lines[i].text, "()") { // what funcRe cannot match without
			continue
		}
		m := funcRe.FindStringSubmatch(lines[i].text)
		if m == nil {
			continue
		}
		body := m[2]
		depth := strings.Count(body, "{") - strings.Count(body, "}")
		for j := i + 1; depth > 0 && j < len(lines); j++ {
			body += "\n" + lines[j].text
			depth += strings.Count(lines[j].text, "{") - strings.Count(lines[j].text, "}")
		}
		if strings.Contains(body, "$@") || strings.Contains(body, "$*") {
			out[m[1]] = true
		}
	}
	return out
}

// isDeclare reports whether a command is an export/readonly/declare/local assignment.
func isDeclare(cmd string) bool {
	f := strings.Fields(cmd)
	return len(f) > 0 && (f[0] == "export" || f[0] == "readonly" || f[0] == "declare" || f[0] == "local")
}

type line struct {
	no   int
	text string
}

// joinContinuations joins lines ending in a backslash with the next.
func joinContinuations(raw []string) []line {
	out := make([]line, 0, len(raw))
	var cur strings.Builder
	start := 0
	for i, l := range raw {
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\"))
			cur.WriteByte(' ')
			continue
		}
		if cur.Len() == 0 { // a line on its own: kept as it is, not copied
			out = append(out, line{no: start, text: l})
			continue
		}
		cur.WriteString(l)
		out = append(out, line{no: start, text: cur.String()})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, line{no: start, text: cur.String()})
	}
	return out
}

// cloudInitItem strips the YAML list marker and quotes of a cloud-config runcmd item, the ExecStart=
// of a systemd unit, and the brackets of a JSON/YAML argv list ([docker, run, nginx]).
func cloudInitItem(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "- ") {
		s = strings.TrimSpace(s[2:])
	}
	for _, p := range []string{"ExecStartPre=", "ExecStart=", "ExecStartPost=", "ExecReload="} {
		if strings.HasPrefix(s, p) {
			s = strings.TrimLeft(strings.TrimPrefix(s, p), "-@+!:")
		}
	}
	if len(s) >= 2 && strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		parts := strings.Split(s[1:len(s)-1], ",")
		for i, p := range parts {
			parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
		}
		return strings.Join(parts, " ")
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	return s
}

// splitCommands splits a shell line into commands at ;, &&, ||, | and & outside quotes, and unwraps
// command substitutions $( ... ) so that their commands are seen too.
func splitCommands(s string) []string {
	var out []string
	// A command is the text of s between separators, as it stands: quotes and escapes are kept for
	// shellWords.
	start := 0
	var quote byte
	flush := func(end, next int) {
		if t := strings.TrimSpace(s[start:end]); t != "" {
			out = append(out, t)
		}
		start = next
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\' && i+1 < len(s):
			i++
		case c == ';' || c == '|' || c == '&':
			end := i
			if i+1 < len(s) && s[i+1] == c {
				i++
			}
			flush(end, i+1)
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			// The command substitution's value is unknown: leave its marker where it is used, then
			// look at its commands on their own.
			flush(i+2, i+2)
			i++
		case c == ')' || c == '`':
			flush(i, i+1)
		}
	}
	flush(len(s), len(s))
	return out
}

// shellWords splits a command into words, removing quotes. Variables inside single quotes are protected
// from substitution by being written with a doubled dollar ("$$"), which resolveRef leaves alone.
func shellWords(s string) []string {
	var words []string
	// A word is a slice of s until a quote or an escape makes it differ from its text; from there on it
	// is built in cur.
	var cur strings.Builder
	start, inWord, built := 0, false, false
	begin := func(i int) {
		if !inWord {
			start, inWord, built = i, true, false
		}
	}
	build := func(i int) {
		if !built {
			cur.Reset()
			cur.WriteString(s[start:i])
			built = true
		}
	}
	end := func(i int) {
		if built {
			words = append(words, cur.String())
		} else {
			words = append(words, s[start:i])
		}
		inWord = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				end(i)
			}
		case c == '\'':
			begin(i)
			build(i)
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(strings.ReplaceAll(s[i+1:i+1+j], "$", "$$"))
			i += j + 1
		case c == '"':
			begin(i)
			build(i)
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\' && i+1 < len(s):
			begin(i)
			build(i)
			i++
			cur.WriteByte(s[i])
		default:
			begin(i)
			if built {
				cur.WriteByte(c)
			}
		}
	}
	if inWord {
		end(len(s))
	}
	return words
}

// assignValue evaluates the right-hand side of a shell assignment: a literal (quotes removed, known
// variables substituted), or an unresolvable marker when it runs a command.
func assignValue(raw string, vars map[string]string) string {
	raw = strings.TrimSpace(raw)
	if strings.Contains(raw, "$(") || strings.Contains(raw, "`") {
		return unresolvedMark
	}
	words := shellWords(raw)
	if len(words) == 0 {
		return ""
	}
	v, unresolved := substitute(words[0], vars)
	if len(unresolved) > 0 {
		return unresolvedMark
	}
	return v
}

// engines are the container CLIs whose run/create/pull take an image.
var engines = map[string]bool{"docker": true, "podman": true, "nerdctl": true, "finch": true}

// wrappers are commands that run the rest of the line as a command.
var wrappers = map[string]int{"sudo": 0, "exec": 0, "nohup": 0, "time": 0, "command": 0, "env": 0, "timeout": 1, "nice": 0}

// boolFlags are the flags of run/create/pull that take no value.
var boolFlags = map[string]bool{
	"--detach": true, "--rm": true, "--interactive": true, "--tty": true, "--privileged": true, "--init": true,
	"--read-only": true, "--publish-all": true, "--no-healthcheck": true, "--oom-kill-disable": true,
	"--sig-proxy": true, "--disable-content-trust": true, "--quiet": true, "--all-tags": true, "--help": true,
	"--replace": true, "--rmi": true, "--http-proxy": true, "--use-api-socket": true, "--no-hosts": true,
	"--tls-verify": true, "--null-io": true, "--rm-on-exit": true, "--debug": true,
	"--all-platforms": true, "--plain-http": true, "--skip-verify": true, "--local": true, "--net-host": true,
	"--print-chainid": true, "--no-trunc": true,
}

// boolShort are, per subcommand, the single-letter flags that take no value.
var boolShort = map[string]string{"run": "ditPq", "create": "ditPq", "pull": "aq", "ctr": "kdt"}

// imageOfCommand returns the image a container CLI command runs or pulls.
func imageOfCommand(words []string, runners map[string]bool) (image, via string, ok bool) {
	// Strip wrappers and leading assignments.
	for len(words) > 0 {
		w := words[0]
		if strings.Contains(w, "=") && !strings.HasPrefix(w, "-") && assignRe.MatchString(w) {
			words = words[1:]
			continue
		}
		if runners[w] {
			words = words[1:]
			continue
		}
		if skip, isWrapper := wrappers[path.Base(w)]; isWrapper {
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				if words[0] == "-u" || words[0] == "-g" || words[0] == "--user" {
					words = words[1:]
				}
				words = words[1:]
			}
			if skip > 0 && len(words) > 0 {
				words = words[skip:]
			}
			continue
		}
		break
	}
	if len(words) < 2 {
		return "", "", false
	}
	cli := path.Base(words[0])
	args := words[1:]
	switch {
	case engines[cli]:
		args = skipGlobalFlags(args)
		if len(args) == 0 {
			return "", "", false
		}
		sub := args[0]
		if (sub == "container" || sub == "image") && len(args) > 1 {
			sub = args[1]
			args = args[1:]
		}
		switch sub {
		case "run", "create", "pull":
			if img, ok := firstOperand(args[1:], boolShort[sub]); ok {
				return img, cli + " " + sub, true
			}
		}
	case cli == "ctr":
		args = skipGlobalFlags(args)
		if len(args) >= 2 && (args[0] == "images" || args[0] == "image" || args[0] == "i") && args[1] == "pull" {
			if img, ok := firstOperand(args[2:], boolShort["ctr"]); ok {
				return img, "ctr images pull", true
			}
		}
		if len(args) >= 1 && (args[0] == "run" || (args[0] == "container" && len(args) > 1 && args[1] == "create")) {
			rest := args[1:]
			if args[0] == "container" {
				rest = args[2:]
			}
			if img, ok := firstOperand(rest, boolShort["ctr"]); ok {
				return img, "ctr " + args[0], true
			}
		}
	case cli == "crictl":
		if len(args) >= 2 && args[0] == "pull" {
			if img, ok := firstOperand(args[1:], ""); ok {
				return img, "crictl pull", true
			}
		}
	}
	return "", "", false
}

// skipGlobalFlags drops the CLI's global flags before its subcommand (docker --config x, ctr -n k8s.io).
func skipGlobalFlags(args []string) []string {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if strings.Contains(args[0], "=") || boolFlags[args[0]] || args[0] == "-D" {
			args = args[1:]
			continue
		}
		args = args[min(2, len(args)):]
	}
	return args
}

// firstOperand returns the first argument that is not a flag or a flag's value.
func firstOperand(args []string, boolShort string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		case strings.HasPrefix(a, "--"):
			if !strings.Contains(a, "=") && !boolFlags[a] {
				i++ // the flag's value
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// A cluster of short flags: all boolean, or the last takes a value (attached or next).
			for j := 1; j < len(a); j++ {
				if !strings.ContainsRune(boolShort, rune(a[j])) {
					if j == len(a)-1 {
						i++
					}
					break
				}
			}
		default:
			return a, true
		}
	}
	return "", false
}

// resolveRef substitutes the script's variables into a reference.
func resolveRef(raw string, vars map[string]string, lineNo int, via string) Ref {
	v, unresolved := substitute(raw, vars)
	if strings.Contains(raw, "$(") || strings.Contains(raw, "`") {
		unresolved = append(unresolved, "$(...)")
	}
	return Ref{Ref: v, Line: lineNo, Via: via, Unresolved: unresolved}
}

// substitute replaces $NAME, ${NAME} and ${NAME:-default} with the variables' values. It returns the
// names it could not resolve, which stay in the result as written.
func substitute(s string, vars map[string]string) (string, []string) {
	var unresolved []string
	protected := strings.ReplaceAll(s, "$$", "\x01")
	out := varRe.ReplaceAllStringFunc(protected, func(m string) string {
		sub := varRe.FindStringSubmatch(m)
		name := sub[1] + sub[4]
		if v, ok := vars[name]; ok && v != unresolvedMark {
			return v
		}
		if sub[2] != "" && (sub[2] == ":-" || sub[2] == "-" || sub[2] == ":=" || sub[2] == "=") && !strings.Contains(sub[3], "$") {
			if _, ok := vars[name]; !ok {
				return sub[3]
			}
		}
		unresolved = append(unresolved, name)
		return m
	})
	return strings.ReplaceAll(out, "\x01", "$"), unresolved
}

// Image registry classification.

// ecrHostRe matches a private ECR registry host; account and region may be unresolved variables.
var ecrHostRe = regexp.MustCompile(`^(\d{12}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)\.amazonaws\.com(?:\.cn)?$`)

// Registry is where an image reference pulls from.
type Registry struct {
	// Host is the registry host; "docker.io" for Docker Hub (also when the reference names no host).
	Host string
	// Name describes the registry for messages ("Docker Hub", "Amazon ECR Public", "GitHub Container
	// Registry", "private ECR registry of account 123456789012 in us-east-1", ...).
	Name string
	// PrivateECR is true for <account>.dkr.ecr.<region>.amazonaws.com.
	PrivateECR bool
	// Account and Region of a private ECR registry; empty when they are unresolved variables.
	Account, Region string
	// Repository is the path after the host, without tag or digest.
	Repository string
	// HostUnresolved is true when the host is (or contains, outside an ECR pattern) a variable.
	HostUnresolved bool
}

// publicRegistries names well-known public registries.
var publicRegistries = map[string]string{
	"docker.io": "Docker Hub", "index.docker.io": "Docker Hub", "registry-1.docker.io": "Docker Hub",
	"registry.hub.docker.com": "Docker Hub", "public.ecr.aws": "Amazon ECR Public", "ghcr.io": "GitHub Container Registry",
	"quay.io": "Quay.io", "gcr.io": "Google Container Registry", "registry.k8s.io": "the Kubernetes registry",
	"k8s.gcr.io": "the Kubernetes registry", "mcr.microsoft.com": "Microsoft Container Registry",
	"registry.gitlab.com": "GitLab Container Registry", "docker.elastic.co": "Elastic's registry",
	"cgr.dev": "Chainguard's registry", "nvcr.io": "NVIDIA's registry",
}

// Classify classifies an image reference by registry.
func Classify(ref string) Registry {
	name := ref
	if i := strings.Index(name, "@"); i >= 0 {
		name = name[:i]
	}
	host, rest, hasSlash := strings.Cut(name, "/")
	if !hasSlash || !(strings.ContainsAny(host, ".:") || host == "localhost" || strings.Contains(host, "$")) {
		host, rest = "docker.io", name
	}
	repo := rest
	if i := strings.LastIndex(repo, ":"); i >= 0 && !strings.Contains(repo[i:], "/") {
		repo = repo[:i]
	}
	reg := Registry{Host: host, Repository: repo}
	if m := ecrHostRe.FindStringSubmatch(host); m != nil {
		reg.PrivateECR = true
		if !strings.HasPrefix(m[1], "$") {
			reg.Account = m[1]
		}
		if !strings.HasPrefix(m[2], "$") {
			reg.Region = m[2]
		}
		reg.Name = "private ECR registry"
		if reg.Account != "" {
			reg.Name += " of account " + reg.Account
		}
		if reg.Region != "" {
			reg.Name += " in " + reg.Region
		}
		return reg
	}
	if strings.Contains(host, "$") {
		reg.HostUnresolved = true
		reg.Name = "registry " + host
		return reg
	}
	switch n, ok := publicRegistries[strings.ToLower(host)]; {
	case ok:
		reg.Name = n
	case strings.HasSuffix(host, ".gcr.io") || strings.HasSuffix(host, "-docker.pkg.dev"):
		reg.Name = "Google's registry " + host
	case strings.HasSuffix(host, ".azurecr.io"):
		reg.Name = "Azure Container Registry " + host
	default:
		reg.Name = "registry " + host
	}
	return reg
}

// looksLikeImage reports whether a string (after substitution) can be an image reference.
func looksLikeImage(s string) bool {
	return s != "" && imageish(placeholders.Replace(s))
}

// imageish reports whether a string (after substitution, unresolved variables marked with
// unresolvedMark) has the characters of a container image reference: [A-Za-z0-9\x00_] first, then
// [A-Za-z0-9\x00_.\-/:@+].
func imageish(s string) bool {
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == 0, c == '_':
		case i > 0 && (c == '.' || c == '-' || c == '/' || c == ':' || c == '@' || c == '+'):
		default:
			return false
		}
	}
	return s != ""
}

// placeholders blanks out shell variable syntax before an image reference is matched; built once, as a
// Replacer costs an allocation of its tables.
var placeholders = strings.NewReplacer("$", "\x00", "{", "", "}", "")
