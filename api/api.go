// Package api holds the OpenAPI 3 description of the merchant API (openapi.yaml), embedded
// so that the server can serve it and tests can validate real answers against it.
package api

import _ "embed"

// OpenAPI is the text of openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
