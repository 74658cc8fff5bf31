package migration

import "slices"

// Status compares what a database recorded in schema_migrations with the migrations a
// build embeds.
type Status struct {
	Embedded int      // migrations this build carries
	Applied  int      // of those, how many the database recorded
	Pending  []string // the embedded ones not applied yet, in order (file names)
	Unknown  []int    // versions applied that this build does not carry (a newer build migrated it)
}

// Current reports whether every embedded migration is applied and none unknown.
func (s Status) Current() bool { return len(s.Pending) == 0 && len(s.Unknown) == 0 }

// Compare is the Status of a database that recorded applied against embedded.
func Compare(embedded []Migration, applied []int) Status {
	s := Status{Embedded: len(embedded)}
	known := map[int]bool{}
	for _, m := range embedded {
		known[m.Version] = true
		if slices.Contains(applied, m.Version) {
			s.Applied++
		} else {
			s.Pending = append(s.Pending, m.Name)
		}
	}
	for _, v := range applied {
		if !known[v] {
			s.Unknown = append(s.Unknown, v)
		}
	}
	slices.Sort(s.Unknown)
	return s
}
