// Package pgtest runs a real PostgreSQL server (Debian's postgresql
// package) for tests and the HA demo: an unprivileged cluster in a
// temporary directory, made with initdb and started with pg_ctl, listening
// on a loopback port only.
//
// initdb and postgres refuse to run as root, so under root the cluster is
// owned by, and run as, the "postgres" user the package creates.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halite/halite/internal/freeport"
)

// ErrUnavailable means no PostgreSQL server programs are installed.
var ErrUnavailable = errors.New("pgtest: PostgreSQL is not installed (Debian package postgresql)")

// Cluster is a running PostgreSQL server.
type Cluster struct {
	dir  string // the cluster's data directory's parent, removed by Stop
	bin  string // directory of initdb, pg_ctl, postgres
	as   []string
	port int
	n    atomic.Int64
}

// BinDir finds the server programs: Debian keeps them out of PATH, in
// /usr/lib/postgresql/<version>/bin.
func BinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrUnavailable
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start makes a new cluster under a fresh temporary directory and starts
// it on 127.0.0.1. The superuser is "halite", trusted from loopback, so
// URLs need no password. Stop it with Stop.
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	dir, err := os.MkdirTemp("", "halite-pg-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.as = []string{"setpriv", "--reuid", u.Uid, "--regid", u.Gid, "--clear-groups", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(ctx, "initdb", "-D", data, "-U", "halite", "--auth=trust", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %w: %s", err, out)
	}
	// A port taken between the probe and the bind fails the start; another
	// port is tried.
	for attempt := 0; ; attempt++ {
		if c.port, err = freeport.Get(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		err := c.StartServer(ctx)
		if err == nil {
			break
		}
		if attempt == 4 {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	return c, nil
}

// StartServer starts the cluster's server again after StopServer, on the
// same port.
func (c *Cluster) StartServer(ctx context.Context) error {
	// Tests need no durability across a power cut; HALITE_PG_FSYNC=on
	// measures with it (the benchmarks' production figure).
	fsync := "off"
	if os.Getenv("HALITE_PG_FSYNC") == "on" {
		fsync = "on"
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=%s -c max_connections=200", c.port, c.dir, fsync)
	out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pgtest: pg_ctl start: %w: %s\n%s", err, out, log)
	}
	return nil
}

// StopServer stops the server (fast shutdown: clients are disconnected)
// and keeps its data, as a database restart or an outage does.
func (c *Cluster) StopServer() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.as...), append([]string{filepath.Join(c.bin, prog)}, args...)...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd.CombinedOutput()
}

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// URL is the connection URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://halite@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// CreateDB creates a new, empty database and returns its URL.
func (c *Cluster) CreateDB(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.n.Add(1))
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error {
	err := c.StopServer()
	os.RemoveAll(c.dir)
	return err
}

// The cluster a test binary shares: started by the first DB call, stopped
// by Main after the tests.
var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Main runs a package's tests and stops the shared cluster afterwards.
// Call it from TestMain.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// DB returns the URL of a new empty database on the test binary's shared
// cluster. Without PostgreSQL installed the test is skipped, unless
// HALITE_REQUIRE_POSTGRES is set (CI sets it), where it fails.
func DB(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared, sharedErr = Start(ctx)
	})
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrUnavailable) && os.Getenv("HALITE_REQUIRE_POSTGRES") == "" {
			t.Skip(sharedErr)
		}
		t.Fatal(sharedErr)
	}
	url, err := shared.CreateDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// Shared returns the test binary's cluster, started if need be (for tests
// that stop or restart nothing but need its port).
func Shared(t testing.TB) *Cluster {
	t.Helper()
	DB(t)
	return shared
}
