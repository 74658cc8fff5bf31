package attack

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// round2Attacks are the inputs of the second security review (docs/security.md): webhook
// targets a client should never reach, the console lockout, and the per-source budget of
// failed API authentications. Those sent to the running demo come first; the ones that
// need an injected resolver or clock run on an in-process stack (inprocAttacks).
func round2Attacks(w *world) []attack {
	bad := "400 INVALID_PARAMETER"
	n := 0
	notify := func(name, u string) attack {
		n++
		no := fmt.Sprintf("atk_ssrf_%d", n)
		return attack{name: "notify_url " + name, target: "merchant", expect: bad, run: func(w *world) string {
			body := fmt.Sprintf(`{"out_trade_no":%q,"total_amount":"1.00","subject":"s","notify_url":%q}`, no, u)
			return w.merchant(mreq{method: http.MethodPost, path: pathCreate, body: []byte(body)})
		}}
	}
	list := []attack{
		notify("cloud metadata 169.254.169.254", "http://169.254.169.254/latest/meta-data/iam/"),
		notify("metadata as IPv4-mapped IPv6", "http://[::ffff:169.254.169.254]/latest/meta-data/"),
		notify("IPv6 metadata fd00:ec2::254", "http://[fd00:ec2::254]/latest/meta-data/"),
		notify("private 10.0.0.1", "http://10.0.0.1:8080/admin"),
		notify("private 192.168.1.1", "https://192.168.1.1/"),
		notify("CGNAT 100.64.0.1", "http://100.64.0.1/"),
		notify("unspecified 0.0.0.0", "http://0.0.0.0:6379/"),
		notify("link-local fe80::1", "http://[fe80::1%25eth0]/"),
		notify("loopback as decimal 2130706433", "http://2130706433/"),
		notify("loopback as hex 0x7f.1", "http://0x7f.1/"),
		{name: "webhook to localhost (resolves to 127.0.0.1), not opted in", target: "webhook",
			expect: "refused at dial; receiver got 0 POSTs", run: localhostWebhook},
	}
	var lock consoleFlood
	list = append(list,
		attack{name: "50 wrong passwords from 10 addresses, then the right one from an 11th", target: "console",
			expect: "303 logged in", run: lock.run},
		attack{name: "right password from one of the 10 locked addresses", target: "console",
			expect: "429 locked", run: func(w *world) string { return w.consoleLogin("198.51.100.3", w.p.state.AdminPassword) }},
		attack{name: "1000 bad signatures from one source, valid requests between", target: "merchant",
			expect: "401 until the budget, then 429; valid requests 200", run: func(w *world) string {
				return w.authFlood(func(i int) string { return "198.51.100.200" })
			}},
		attack{name: "1000 bad signatures from addresses rotated inside one /64", target: "merchant",
			expect: "401 until the budget, then 429; valid requests 200", run: func(w *world) string {
				return w.authFlood(func(i int) string { return fmt.Sprintf("2001:db8:77:77:%x::%x", i, i+1) })
			}},
	)
	list = append(list, floodAttacks()...)
	list = append(list, webhookSecretAttacks()...)
	list = append(list, fileAttacks()...)
	return append(list, inprocAttacks()...)
}

// consoleFlood is the console lockout scenario of docs/security.md against the running demo, whose console
// trusts 127.0.0.1 as a proxy so that X-Forwarded-For names each attacker's address.
type consoleFlood struct{}

func (consoleFlood) run(w *world) string {
	var wg sync.WaitGroup
	answers := make(chan string, 50)
	for a := 1; a <= 10; a++ {
		wg.Add(1)
		go func() { // each address guesses in turn, the ten of them at once
			defer wg.Done()
			for range 5 {
				answers <- w.consoleLogin(fmt.Sprintf("198.51.100.%d", a), "wrong-guess")
			}
		}()
	}
	wg.Wait()
	close(answers)
	seen := map[string]int{}
	for a := range answers {
		seen[a]++
	}
	start := time.Now()
	got := w.consoleLogin("203.0.113.50", w.p.state.AdminPassword)
	w.t.Logf("console: 50 wrong passwords from 10 addresses answered %v; the right one from an 11th address: %s after %v",
		seen, got, time.Since(start).Round(10*time.Millisecond))
	return got
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleLogin posts password to the demo's console from ip (consoleLogin).
func (w *world) consoleLogin(ip, password string) string { return consoleLogin(w.base, ip, password) }

// consoleLogin fetches the login form at base and posts password, both from ip (named in
// X-Forwarded-For); it answers "303 logged in", "429 locked", "401 wrong password" or the
// status.
func consoleLogin(base, ip, password string) string {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request) (int, string) {
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/login", nil)
	_, page := do(req)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return "no login form"
	}
	form := url.Values{"csrf": {m[1]}, "password": {password}}
	req, _ = http.NewRequest(http.MethodPost, base+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _ := do(req)
	switch status {
	case http.StatusSeeOther:
		return "303 logged in"
	case http.StatusTooManyRequests:
		return "429 locked"
	case http.StatusUnauthorized:
		return "401 wrong password"
	}
	return fmt.Sprintf("%d", status)
}

// authFlood sends 1000 requests naming the demo client's app id with a forged signature,
// from the address source(i), and a genuine one from the same address before and after
// every hundred. The budget is 60 failures at once and one a second after that, so at most
// 60 + the seconds the flood took (+1) may be answered 401.
func (w *world) authFlood(source func(i int) string) string {
	from := func(ip string) func(http.Header) { return func(h http.Header) { h.Set("X-Forwarded-For", ip) } }
	valid := func(i int) bool {
		return w.merchant(mreq{method: http.MethodGet, path: pathList, query: "limit=1", header: from(source(i))}) == "200 ok"
	}
	validOK := valid(0)
	hc := &http.Client{Timeout: 30 * time.Second}
	count := map[int]int{}
	start := time.Now()
	for i := range 1000 {
		ts, nonce := fmt.Sprint(time.Now().Unix()), client.NewNonce()
		req, _ := http.NewRequest(http.MethodGet, w.base+pathList+"?limit=1", nil)
		req.Header.Set("X-App-Id", w.a.appID)
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Nonce", nonce)
		req.Header.Set("X-Signature", client.Sign("sk_forged", http.MethodGet, pathList, "limit=1", ts, nonce, nil))
		req.Header.Set("X-Forwarded-For", source(i))
		resp, err := hc.Do(req)
		if err != nil {
			return err.Error()
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		count[resp.StatusCode]++
		if i%100 == 99 {
			validOK = valid(i) && validOK
		}
	}
	took := time.Since(start)
	w.t.Logf("auth flood: %v in %v; genuine requests from the same source all 200: %v", count, took.Round(time.Millisecond), validOK)
	limit := 60 + int(took.Seconds()) + 1
	switch {
	case count[401] >= 60 && count[401] <= limit && count[429] == 1000-count[401] && validOK:
		return "401 until the budget, then 429; valid requests 200"
	case !validOK:
		return fmt.Sprintf("%v; a valid request was refused", count)
	}
	return fmt.Sprintf("%v: not cut to the budget", count)
}
