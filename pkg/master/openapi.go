package master

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/version"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI describes the API from the same route table the server is built
// from, so the two cannot drift apart.
func (m *Master) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range m.apiRoutes() {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		op := map[string]any{
			"summary":       rt.summary,
			"operationId":   strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(rt.path),
			"x-halite-area": rt.area,
			"responses": map[string]any{
				"200": map[string]any{"description": "OK"},
				"401": map[string]any{"description": "missing, unknown, expired or revoked token"},
				"403": map[string]any{"description": "outside the caller's ACL"},
			},
		}
		if rt.area == "chat" {
			op["security"] = []any{}
			op["description"] = "Authenticated by the chat platform's signature or token, not a bearer token."
		}
		var params []any
		for _, p := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": p[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Halite master API", "version": version.Version},
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer"},
		}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
	}
}

func (m *Master) apiOpenAPI(w http.ResponseWriter, r *http.Request) { writeJSON(w, m.OpenAPI()) }
