package sqlstore

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// timeCol scans a time column in either encoding, unix microseconds (SQLite) or a time
// (PostgreSQL), into a UTC time: the zone every store returns.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	return nil
}

// nullTimeCol is timeCol for an optional time: NULL is nil.
type nullTimeCol struct{ t **time.Time }

// Scan implements sql.Scanner.
func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// tm scans a time column into t.
func tm(t *time.Time) sql.Scanner { return timeCol{t} }

// tmNull scans an optional time column into t.
func tmNull(t **time.Time) sql.Scanner { return nullTimeCol{t} }

// encode returns args with every time, or optional time, in the dialect's encoding.
func (d *dialect) encode(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = d.Time(v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = d.Time(*v)
			}
		}
	}
	return args
}

// sortBy sorts xs by key. A claim (UPDATE … RETURNING) returns its rows in no defined
// order, and callers are promised key order.
func sortBy[T any, K cmp.Ordered](xs []*T, key func(*T) K) {
	slices.SortFunc(xs, func(a, b *T) int { return cmp.Compare(key(a), key(b)) })
}

// limitOr returns limit, or def when limit is not positive.
func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}
