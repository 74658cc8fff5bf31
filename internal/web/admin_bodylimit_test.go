package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLoginBodyIsBounded: POST /admin/login is reachable without a session, and its
// form is parsed (c.PostForm) with net/http's defaults: up to 10 MiB of urlencoded form, or
// 32 MiB of multipart in memory plus temp files. A body far above the API's 64 KiB limit
// must be refused with 413 before it is read and parsed.
func TestLoginBodyIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	get(t, hc, b.url+"/admin/login", http.StatusOK)
	form := url.Values{"password": {"x"}, "pad": {strings.Repeat("a", 2<<20)}}
	resp := postForm(t, hc, b.url+"/admin/login", form)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB login form answered %d, want 413 (the whole body was read and parsed)", resp.StatusCode)
	}
}
