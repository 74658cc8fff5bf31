package sqlite

import (
	"context"
	"fmt"
)

// Pragma reads a PRAGMA on three pooled connections at once, so that a setting applied
// to the first connection only would show; it returns the value they agree on.
func (s *Store) Pragma(ctx context.Context, name string) (string, error) {
	var vals []string
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return "", err
		}
		defer c.Close()
		var v string
		if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			return "", err
		}
		vals = append(vals, v)
	}
	if vals[0] != vals[1] || vals[1] != vals[2] {
		return "", fmt.Errorf("connections disagree: %v", vals)
	}
	return vals[0], nil
}
