package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Pool returns the pgx pool under the store's database/sql handle.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
