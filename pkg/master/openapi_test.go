package master

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every route the server answers is described in /v1/openapi.json, and
// every path the client (the CLI) calls is a described route.
func TestOpenAPICoversRoutes(t *testing.T) {
	m := &Master{}
	doc := m.OpenAPI()
	paths := doc["paths"].(map[string]any)
	for _, rt := range m.apiRoutes() {
		item, ok := paths[rt.path].(map[string]any)
		if !ok {
			t.Errorf("%s is not in the OpenAPI document", rt.path)
			continue
		}
		op, ok := item[strings.ToLower(rt.method)].(map[string]any)
		if !ok || op["summary"] == "" {
			t.Errorf("%s %s has no described operation", rt.method, rt.path)
		}
	}
	src, err := os.ReadFile("client.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []*regexp.Regexp
	for dp := range paths {
		quoted := regexp.QuoteMeta(dp)
		routes = append(routes, regexp.MustCompile("^"+regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(quoted, `[^/]+`)+"$"))
	}
	described := func(p string) bool {
		for _, re := range routes {
			if re.MatchString(p) {
				return true
			}
		}
		return false
	}
	calls := regexp.MustCompile(`"(/v1/[a-z/]+|/metrics)`).FindAllStringSubmatch(string(src), -1)
	if len(calls) < 10 {
		t.Fatalf("found only %d client paths", len(calls))
	}
	for _, c := range calls {
		p := strings.TrimSuffix(c[1], "/")
		if strings.HasSuffix(c[1], "/") {
			p += "/x" // a path parameter follows
		}
		if !described(p) {
			t.Errorf("the client calls %s, which is not a described route", c[1])
		}
	}
}
