package attack

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the driver the store uses
)

// dump is every row of every table, each row rendered as one line, sorted per table.
type dump map[string][]string

// dumpDB reads the whole database read-only while the program runs (WAL lets a reader
// see the last committed state without blocking the writer).
func dumpDB(t *testing.T, dir string) dump {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "f2fpay.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	d := dump{}
	for _, table := range tables {
		d[table] = dumpTable(t, db, table)
	}
	return d
}

func dumpTable(t *testing.T, db *sql.DB, table string) []string {
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// rows counts the rows of the dump.
func (d dump) rows() int {
	n := 0
	for _, r := range d {
		n += len(r)
	}
	return n
}

// diff lists the rows added and removed per table between d and after.
func (d dump) diff(after dump) (added, removed map[string][]string) {
	added, removed = map[string][]string{}, map[string][]string{}
	tables := map[string]bool{}
	for k := range d {
		tables[k] = true
	}
	for k := range after {
		tables[k] = true
	}
	for table := range tables {
		before := map[string]int{}
		for _, r := range d[table] {
			before[r]++
		}
		for _, r := range after[table] {
			if before[r] > 0 {
				before[r]--
				continue
			}
			added[table] = append(added[table], r)
		}
		for r, n := range before {
			for ; n > 0; n-- {
				removed[table] = append(removed[table], r)
			}
		}
	}
	return added, removed
}
