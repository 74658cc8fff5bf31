package migration

import (
	"slices"
	"testing"
)

func TestCompare(t *testing.T) {
	emb := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	for _, c := range []struct {
		applied []int
		want    Status
		current bool
	}{
		{[]int{1, 2, 3}, Status{Embedded: 3, Applied: 3}, true},
		{[]int{1}, Status{Embedded: 3, Applied: 1, Pending: []string{"0002_b.sql", "0003_c.sql"}}, false},
		{nil, Status{Embedded: 3, Pending: []string{"0001_a.sql", "0002_b.sql", "0003_c.sql"}}, false},
		{[]int{5, 1, 2, 3, 4}, Status{Embedded: 3, Applied: 3, Unknown: []int{4, 5}}, false},
	} {
		got := Compare(emb, c.applied)
		if got.Embedded != c.want.Embedded || got.Applied != c.want.Applied || !slices.Equal(got.Pending, c.want.Pending) ||
			!slices.Equal(got.Unknown, c.want.Unknown) || got.Current() != c.current {
			t.Errorf("applied %v: %+v, want %+v (current %v)", c.applied, got, c.want, c.current)
		}
	}
}
