package app

import (
	"net/http"
	"strings"
)

// notifyConcurrency is how many payment-channel notifications (POST /notify/…) are handled
// at once; more wait their turn. Each costs an RSA check and a confirming trade.query of
// some 100 ms against the real Alipay, so 64 allow some 400 a second, while a burst larger
// than the CPUs can take (1,000 orders paid at once) is served in turn instead of all
// together, each too slowly to answer within Alipay's timeout (docs/decisions.md, "Group
// commit on SQLite").
const notifyConcurrency = 64

// limitNotify wraps h so that at most n notifications run at once. One whose sender gives
// up while it waits is answered 503 "failure", untouched, and the channel sends it again.
func limitNotify(h http.Handler, n int) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/notify/") {
			h.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("failure"))
			return
		}
		defer func() { <-slots }()
		h.ServeHTTP(w, r)
	})
}
