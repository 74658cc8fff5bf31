package attack

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// checkLogs reads every log line the program wrote during the genuine flow and the
// attack suite (its stderr: the demo's slog handler) and looks for any secret: the two
// client secrets, the demo client's webhook secret, the master key, the admin password,
// any 32-character piece of the body of a private key (the app's and the simulator's), and
// every signature the suite sent (merchant X-Signature and notification sign).
func checkLogs(t *testing.T, w *world) {
	logs := w.logs.String()
	lines := strings.Count(logs, "\n")
	if lines < 100 || !strings.Contains(logs, "http request") || !strings.Contains(logs, "notification refused") {
		t.Fatalf("only %d log lines captured, or no access/refusal lines: the check would prove nothing", lines)
	}
	needles := map[string]string{"client a secret": w.a.secret, "client b secret": w.b.secret,
		"client a webhook secret": w.p.state.WebhookSecret, "admin password": w.p.state.AdminPassword}
	master, err := os.ReadFile(filepath.Join(w.dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	needles["master key"] = strings.TrimSpace(string(master))
	if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(master))); err == nil {
		needles["master key (hex)"] = hex.EncodeToString(raw)
	}
	for _, f := range []string{filepath.Join(w.dir, "keys", "app_private_key.pem"), filepath.Join(w.dir, "sandbox", "alipay_private_key.pem")} {
		for i, piece := range pemPieces(t, f) {
			needles[filepath.Base(f)+" piece "+strconv.Itoa(i)] = piece
		}
	}
	w.mu.Lock()
	for i, s := range w.sigs {
		needles["signature "+strconv.Itoa(i)] = s
		if len(s) > 40 { // a notify sign is base64 and may be logged cut or URL-encoded
			needles["signature prefix "+strconv.Itoa(i)] = s[:40]
			needles["signature url-encoded "+strconv.Itoa(i)] = url.QueryEscape(s)[:40]
		}
	}
	w.mu.Unlock()
	found := 0
	for name, needle := range needles {
		if len(needle) < 12 {
			t.Fatalf("%s is too short to search for: %q", name, needle)
		}
		if strings.Contains(logs, needle) {
			found++
			t.Errorf("%s appears in the logs", name)
		}
	}
	t.Logf("%d log lines, %d secrets and signatures searched, %d found", lines, len(needles), found)
}

// pemPieces cuts the base64 body of a PEM file into 32-character pieces.
func pemPieces(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "-----") {
			body.WriteString(strings.TrimSpace(line))
		}
	}
	s := body.String()
	var out []string
	for i := 0; i+32 <= len(s); i += 32 {
		out = append(out, s[i:i+32])
	}
	return out
}
