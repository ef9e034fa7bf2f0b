package jobstore

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/halite/halite/internal/pgtest"
	"github.com/halite/halite/pkg/pgdb"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		// pgx's pools end their background goroutines shortly after Close.
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// testStore is what the master needs of a store, which both
// implementations provide.
type testStore interface {
	Store
	CheckFile() error
	ReturnsOf(ctx context.Context, fun string, since time.Time) ([]Return, error)
	Search(ctx context.Context, f SearchFilter) ([]Hit, error)
	Stats(ctx context.Context) (Stats, error)
	ReturnsAfter(ctx context.Context, seq int64, limit int) ([]Fed, error)
	LastSeq(ctx context.Context) (int64, error)
	Cursor(ctx context.Context, name string) (int64, bool, error)
	SetCursor(ctx context.Context, name string, seq int64) error
}

var (
	_ testStore = (*SQLiteStore)(nil)
	_ testStore = (*PostgresStore)(nil)
)

// eachStore runs fn as a subtest on a fresh store of each implementation:
// the embedded SQLite and PostgreSQL (a real server, see internal/pgtest).
func eachStore(t *testing.T, fn func(t *testing.T, s testStore)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := openStore(t)
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres(t)) })
}

func openPostgres(t testing.TB) *PostgresStore {
	t.Helper()
	ctx := context.Background()
	db, err := pgdb.Open(ctx, pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenPostgres(ctx, db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
