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
	"syscall"
)

// debianRoot is where Debian installs each major version of PostgreSQL, in a dir of its own.
const debianRoot = "/usr/lib/postgresql"

// binDir returns the bin dir of the newest PostgreSQL under root (debianRoot but in tests).
func binDir(root string) (string, error) {
	found, _ := filepath.Glob(filepath.Join(root, "*", "bin", "postgres"))
	type ver struct {
		n   int
		bin string
	}
	var vs []ver
	for _, f := range found {
		bin := filepath.Dir(f)
		n, err := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(bin, "initdb")); err == nil {
			vs = append(vs, ver{n, bin})
		}
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("PostgreSQL is not installed (no %s/*/bin/postgres)", root)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].n > vs[j].n })
	return vs[0].bin, nil
}

// runAs returns the credential the server runs with: nobody's when the test runs as root,
// nil (the test's own user) otherwise.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses root and there is no user nobody to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user nobody has uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// command prepares a PostgreSQL program run as cred (nil: as the test's user) in dir, with a
// plain environment, and killed when the test binary dies.
func command(path string, cred *syscall.Credential, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	env := []string{"LC_ALL=C", "PATH=/usr/bin:/bin"}
	if cred != nil {
		env = append(env, "HOME="+dir, "USER=nobody")
	}
	for _, kv := range os.Environ() { // nothing else of the test's environment (PG*, TZ, LANG)
		if strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	// SIGQUIT is PostgreSQL's immediate shutdown: a test binary that dies leaves no server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	return cmd
}
