package attack

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/f2fpay/f2fpay/api"
)

// exchange is one request and its answer as they crossed the wire.
type exchange struct {
	req      *http.Request
	reqBody  []byte
	status   int
	header   http.Header
	respBody []byte
}

// recorder is an http.RoundTripper that keeps every exchange of the genuine flow.
type recorder struct {
	mu   sync.Mutex
	list []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	r.mu.Lock()
	r.list = append(r.list, exchange{req: req, reqBody: body, status: resp.StatusCode, header: resp.Header.Clone(), respBody: respBody})
	r.mu.Unlock()
	return resp, nil
}

// checkOpenAPI validates every recorded request and answer of the genuine flow against
// api/openapi.yaml (as served by the program itself): route, parameters, body schemas,
// and that the status is one the document lists.
func checkOpenAPI(t *testing.T, w *world) {
	resp, err := http.Get(w.base + "/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(served, api.OpenAPI) {
		t.Fatalf("GET /api/openapi.yaml: %d, %d bytes; want the embedded document", resp.StatusCode, len(served))
	}
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(served)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: w.base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	statuses := map[int]int{}
	w.recorder.mu.Lock()
	list := append([]exchange(nil), w.recorder.list...)
	w.recorder.mu.Unlock()
	for _, x := range list {
		req := x.req.Clone(ctx)
		req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: no route in the document: %v", req.Method, req.URL.Path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		// A request answered 400 broke the schema on purpose; its answer is still checked.
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil && x.status != http.StatusBadRequest {
			t.Errorf("%s %s: request: %v", req.Method, req.URL.Path, err)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status,
			Header: x.header, Body: io.NopCloser(bytes.NewReader(x.respBody)), Options: opts}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s %s -> %d: %v\n%s", req.Method, req.URL.Path, x.status, err, x.respBody)
		}
		statuses[x.status]++
	}
	if len(list) < 15 || statuses[400] == 0 || statuses[422] == 0 || statuses[201] == 0 || statuses[200] == 0 || statuses[404] == 0 || statuses[409] == 0 {
		t.Errorf("flow too thin to prove the document: %d exchanges, statuses %v", len(list), statuses)
	}
	t.Logf("%d real exchanges validated against api/openapi.yaml; statuses %v", len(list), statuses)
}
