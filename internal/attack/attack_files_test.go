package attack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/testbin"
)

// fileAttacks: what another user of the host could read or make f2fpay write
// (docs/security.md, "Files"): the files a demo creates, keys gen over existing files or a
// planted link, and a start over a database left readable by others.
func fileAttacks() []attack {
	return []attack{
		{name: "modes of the files the demo created (database, WAL, SHM, keys, master key, demo.json)", target: "files",
			expect: "all private ones 0600", run: demoFileModes},
		{name: "keys gen over an existing key, then through a link planted at the key", target: "files",
			expect: "both refused; key and link target unchanged", run: keysGenOverwrite},
		{name: "start over a database file left 0644 by its operator", target: "files",
			expect: "one warning naming the database and its mode, no content", run: exposedDatabase},
	}
}

// demoFileModes lists every file of the running demo's data dir with its mode; the public
// key files may be world-readable, nothing else may be readable by anyone but the owner.
func demoFileModes(w *world) string {
	var exposed, private []string
	err := filepath.WalkDir(w.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(w.dir, path)
		if strings.HasPrefix(filepath.Base(path), "app_public_key.") {
			return nil
		}
		if st.Mode().Perm()&0o077 != 0 {
			exposed = append(exposed, fmt.Sprintf("%s %#o", rel, st.Mode().Perm()))
		} else {
			private = append(private, rel)
		}
		return nil
	})
	if err != nil {
		return err.Error()
	}
	w.t.Logf("demo data dir: 0600 %v; exposed %v", private, exposed)
	if len(exposed) > 0 || len(private) < 6 {
		return fmt.Sprintf("exposed: %v (%d private)", exposed, len(private))
	}
	return "all private ones 0600"
}

// keysGenOverwrite runs keys gen where a key exists, then where the private key's name is a
// dangling link to a file of another's choosing (which a check-then-write would create).
func keysGenOverwrite(w *world) string {
	dir := filepath.Join(w.t.TempDir(), "keys")
	runBinary(w.t, "keys", "gen", "--out", dir)
	priv := filepath.Join(dir, "app_private_key.pem")
	key := readFile(w, priv)
	first := tryBinary(w, "keys", "gen", "--out", dir)
	kept := readFile(w, priv) == key
	victim := filepath.Join(w.t.TempDir(), "stolen.pem")
	if err := os.Remove(priv); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Symlink(victim, priv); err != nil {
		w.t.Fatal(err)
	}
	second := tryBinary(w, "keys", "gen", "--out", dir)
	_, err := os.Stat(victim)
	w.t.Logf("keys gen over a key: %q; through a dangling link: %q; link target written: %v", first, second, err == nil)
	if strings.HasPrefix(first, "exit 0") || strings.HasPrefix(second, "exit 0") || !kept || err == nil {
		return fmt.Sprintf("over a key %q (kept %v), through a link %q (target written %v)", first, kept, second, err == nil)
	}
	return "both refused; key and link target unchanged"
}

// exposedDatabase starts a demo on a data dir whose database file exists with mode 0644,
// as an operator's copy or an older version may have left it.
func exposedDatabase(w *world) string {
	dir := w.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f2fpay.db"), nil, 0o600); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "f2fpay.db"), 0o644); err != nil {
		w.t.Fatal(err)
	}
	logs := &testbin.Buffer{}
	p := startDemoWith(w.t, dir, logs, nil)
	p.stop(w.t)
	var warned []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "secret file is readable or writable by other users") {
			warned = append(warned, line)
		}
	}
	w.t.Logf("start over a 0644 database: %d warning lines:\n%s", len(warned), strings.Join(warned, "\n"))
	if len(warned) != 1 || !strings.Contains(warned[0], "setting=database") || !strings.Contains(warned[0], "f2fpay.db mode=0644") {
		return fmt.Sprintf("%d warnings: %v", len(warned), warned)
	}
	return "one warning naming the database and its mode, no content"
}

// tryBinary runs the binary once and answers "exit N: output".
func tryBinary(w *world, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return fmt.Sprintf("exit %d: %s", code, strings.TrimSpace(string(out)))
}

func readFile(w *world, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}
