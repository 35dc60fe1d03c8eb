// Package pgtest starts throwaway PostgreSQL instances for tests: Debian's
// initdb and pg_ctl, a cluster in a temporary directory listening on a Unix
// socket only, stopped and removed when the test ends. No system service is
// used or needed. Run as root (as CI does), the cluster runs as the
// postgres user, which Debian's postgresql package creates.
//
// Without PostgreSQL installed the tests that need it skip, except under
// CI=true, where they fail: .ci/run installs it.
package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Instance is one running PostgreSQL cluster.
type Instance struct {
	Dir    string // the data directory
	Socket string // the directory of its Unix socket
	Port   int    // the port number in the socket's name

	bin  string // the directory of initdb, pg_ctl, postgres
	asPG bool   // commands run as the postgres user
	n    atomic.Int64
}

// binDir returns the directory of the newest PostgreSQL installed by Debian
// (/usr/lib/postgresql/N/bin), or "" when there is none.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return ""
	}
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
		return vi < vj
	})
	return filepath.Dir(dirs[len(dirs)-1])
}

// Start initialises and starts a cluster for t, stopped when t ends. It
// skips t when PostgreSQL is not installed (fails under CI=true).
func Start(t testing.TB) *Instance {
	t.Helper()
	bin := binDir()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
		}
		t.Skip("PostgreSQL is not installed (apt-get install postgresql)")
	}
	in := &Instance{bin: bin, asPG: os.Geteuid() == 0}
	// The directories must be reachable by the postgres user: under
	// /tmp, not t.TempDir(), whose parents are private to root.
	root, err := os.MkdirTemp("", "kmipd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	in.Dir, in.Socket = filepath.Join(root, "data"), filepath.Join(root, "run")
	for _, d := range []string{in.Dir, in.Socket} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if in.asPG {
		if err := chownToPostgres(root, in.Dir, in.Socket); err != nil {
			t.Fatal(err)
		}
	}
	in.Port = 50000 + os.Getpid()%10000
	if out, err := in.command("initdb", "-D", in.Dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	in.start(t)
	t.Cleanup(func() { in.Stop(t, "fast") })
	return in
}

// start starts the cluster of in.Dir and waits until it accepts connections.
func (in *Instance) start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories=%s -p %d -c max_connections=200 -c fsync=on", in.Socket, in.Port)
	logFile := filepath.Join(filepath.Dir(in.Dir), "postgres.log")
	if out, err := in.command("pg_ctl", "-D", in.Dir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the cluster with the given pg_ctl mode (smart, fast or
// immediate: immediate is a crash, as kill -9 of the postmaster).
func (in *Instance) Stop(t testing.TB, mode string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(in.Dir, "postmaster.pid")); err != nil {
		return // not running
	}
	if out, err := in.command("pg_ctl", "-D", in.Dir, "-m", mode, "-w", "stop").CombinedOutput(); err != nil {
		t.Logf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Restart starts a stopped cluster again.
func (in *Instance) Restart(t testing.TB) { in.start(t) }

// DSN returns the connection string of a new, empty database of the
// cluster, so that each caller starts from nothing.
func (in *Instance) DSN(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("kmipd_%d", in.n.Add(1))
	if out, err := in.command("psql", "-h", in.Socket, "-p", strconv.Itoa(in.Port), "-U", "postgres", "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE "+name).CombinedOutput(); err != nil {
		t.Fatalf("create database: %v\n%s", err, out)
	}
	return in.DSNOf(name)
}

// DSNOf returns the connection string of database name.
func (in *Instance) DSNOf(name string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable", name, in.Socket, in.Port)
}

// command returns cmd of the PostgreSQL binaries, run as the postgres user
// when the test runs as root (initdb and postgres refuse root).
func (in *Instance) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(in.bin, name)
	if in.asPG {
		args = append([]string{"-u", "postgres", "--", path}, args...)
		path = "runuser"
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Dir = "/"
	return cmd
}

// chownToPostgres gives dirs to the postgres user.
func chownToPostgres(dirs ...string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("the postgres user (from Debian's postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		if err := os.Chown(d, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// postmasterPID returns the PID of the running postmaster, or 0.
func (in *Instance) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(in.Dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

// Kill sends SIGKILL to the postmaster, as a crash of the database server
// would, and waits for it to be gone.
func (in *Instance) Kill(t testing.TB) {
	t.Helper()
	pid := in.postmasterPID()
	if pid == 0 {
		t.Fatal("postgres is not running")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}
