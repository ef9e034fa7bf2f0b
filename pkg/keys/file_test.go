package keys

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/halite/halite/pkg/crypto"
)

func newKey(t testing.TB) crypto.MinionPublic {
	t.Helper()
	priv, err := crypto.GenerateMinionKey()
	if err != nil {
		t.Fatal(err)
	}
	return priv.Public()
}

func newRegistry(t testing.TB, autoAccept bool) (*FileRegistry, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	r, err := NewFileRegistry(dir, autoAccept)
	if err != nil {
		t.Fatalf("NewFileRegistry: %v", err)
	}
	return r, dir
}

// seed writes pub as an operator would: the text form in dir/state-dir/id.
func seed(t testing.TB, dir string, s State, id string, pub crypto.MinionPublic) {
	t.Helper()
	text, _ := pub.MarshalText()
	if err := os.WriteFile(filepath.Join(dir, s.dir(), id), append(text, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// onDisk returns the registry's files as "state/id" → fingerprint (or the
// raw content when it is not a key).
func onDisk(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range stateOrder {
		des, err := os.ReadDir(filepath.Join(dir, s.dir()))
		if err != nil {
			t.Fatal(err)
		}
		for _, de := range des {
			p := filepath.Join(dir, s.dir(), de.Name())
			if pub, err := crypto.ReadMinionPublicFile(p); err == nil {
				out[string(s)+"/"+de.Name()] = pub.Fingerprint()
			} else {
				b, _ := os.ReadFile(p)
				out[string(s)+"/"+de.Name()] = "raw:" + string(b)
			}
		}
	}
	return out
}

func TestNewFileRegistry(t *testing.T) {
	r, dir := newRegistry(t, false)
	for _, s := range stateOrder {
		fi, err := os.Stat(filepath.Join(dir, s.dir()))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want a 0700 directory", s.dir(), fi.Mode())
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("pki_dir mode %v, %v; want 0700", fi.Mode(), err)
	}

	// Reopening keeps what is there and clears interrupted writes.
	ctx := context.Background()
	if _, err := r.Check(ctx, "web1", newKey(t)); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, tmpPrefix+"12345")
	if err := os.WriteFile(leftover, []byte("half a"), 0o600); err != nil {
		t.Fatal(err)
	}
	r2, err := NewFileRegistry(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := r2.Get(ctx, "web1"); err != nil || len(es) != 1 || es[0].State != StatePending {
		t.Errorf("after reopen Get(web1) = %+v, %v", es, err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover temporary file not removed: %v", err)
	}

	// A file where a state directory belongs is an error, as is no dir.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, dirDenied), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileRegistry(bad, false); err == nil {
		t.Error("NewFileRegistry with a file named minions_denied succeeded")
	}
	if _, err := NewFileRegistry("", false); err == nil {
		t.Error("NewFileRegistry(\"\") succeeded")
	}
}

func TestCheck(t *testing.T) { eachRegistry(t, testCheck) }

func testCheck(t *testing.T, h harness) {
	ctx := context.Background()
	k1, k2 := newKey(t), newKey(t)
	f1, f2 := k1.Fingerprint(), k2.Fingerprint()
	type files = map[string]string
	tests := []struct {
		name       string
		autoAccept bool
		seed       map[State]crypto.MinionPublic // keys of "m" before the call
		present    crypto.MinionPublic
		want       State
		wantFiles  files
	}{
		{"unknown goes pending", false, nil, k1, StatePending, files{"pending/m": f1}},
		{"unknown with auto-accept", true, nil, k1, StateAccepted, files{"accepted/m": f1}},
		{"pre-seeded accepted key", false, map[State]crypto.MinionPublic{StateAccepted: k1}, k1, StateAccepted,
			files{"accepted/m": f1}},
		{"accepted id, other key: denied, accepted untouched", false,
			map[State]crypto.MinionPublic{StateAccepted: k1}, k2, StateDenied,
			files{"accepted/m": f1, "denied/m": f2}},
		{"accepted id, other key, auto-accept changes nothing", true,
			map[State]crypto.MinionPublic{StateAccepted: k1}, k2, StateDenied,
			files{"accepted/m": f1, "denied/m": f2}},
		{"rejected id, same key", true, map[State]crypto.MinionPublic{StateRejected: k1}, k1, StateRejected,
			files{"rejected/m": f1}},
		{"rejected id, other key", true, map[State]crypto.MinionPublic{StateRejected: k1}, k2, StateRejected,
			files{"rejected/m": f1}},
		{"pending id, same key", false, map[State]crypto.MinionPublic{StatePending: k1}, k1, StatePending,
			files{"pending/m": f1}},
		{"pending id, same key, auto-accept turned on", true, map[State]crypto.MinionPublic{StatePending: k1}, k1,
			StateAccepted, files{"accepted/m": f1}},
		{"pending id, other key: first key kept", false, map[State]crypto.MinionPublic{StatePending: k1}, k2,
			StateDenied, files{"pending/m": f1, "denied/m": f2}},
		{"denied key again", true, map[State]crypto.MinionPublic{StateDenied: k2}, k2, StateDenied,
			files{"denied/m": f2}},
		{"denied only, new key goes pending", false, map[State]crypto.MinionPublic{StateDenied: k2}, k1, StatePending,
			files{"pending/m": f1, "denied/m": f2}},
		{"a second impostor replaces the first denied key", false,
			map[State]crypto.MinionPublic{StateAccepted: k1, StateDenied: newKey(t)}, k2, StateDenied,
			files{"accepted/m": f1, "denied/m": f2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, seedKey, contents := h(t, tt.autoAccept)
			for s, k := range tt.seed {
				seedKey(s, "m", k)
			}
			got, err := r.Check(ctx, "m", tt.present)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got != tt.want {
				t.Errorf("Check = %s, want %s", got, tt.want)
			}
			if d := contents(); !reflect.DeepEqual(d, tt.wantFiles) {
				t.Errorf("files = %v, want %v", d, tt.wantFiles)
			}
			// Asking again gives the same answer (idempotent once recorded).
			if again, err := r.Check(ctx, "m", tt.present); err != nil || again != got {
				t.Errorf("second Check = %s, %v; want %s", again, err, got)
			}
		})
	}
}

func TestKeyFileFormat(t *testing.T) {
	r, dir := newRegistry(t, false)
	k := newKey(t)
	if _, err := r.Check(context.Background(), "web1.example.com", k); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "minions_pre", "web1.example.com")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("key not stored under the bare id: %v", err)
	}
	if want := k.String() + "\n"; string(b) != want {
		t.Errorf("file content %q, want %q", b, want)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
	}
	if got, err := crypto.ReadMinionPublicFile(p); err != nil || !got.Equal(k) {
		t.Errorf("crypto.ReadMinionPublicFile = %v, %v", got, err)
	}
	// No temporary files are left behind anywhere.
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), tmpPrefix) {
			t.Errorf("temporary file %s left in pki_dir", de.Name())
		}
	}
}

func TestLifecycle(t *testing.T) { eachRegistry(t, testLifecycle) }

func testLifecycle(t *testing.T, h harness) {
	ctx := context.Background()
	r, _, _ := h(t, false)
	ka, kb, kc, kx := newKey(t), newKey(t), newKey(t), newKey(t)
	for id, k := range map[string]crypto.MinionPublic{"a": ka, "b": kb, "c": kc} {
		if st, err := r.Check(ctx, id, k); err != nil || st != StatePending {
			t.Fatalf("Check(%s) = %s, %v", id, st, err)
		}
	}

	steps := []struct {
		name  string
		do    func() (Entry, error)
		want  Entry
		isErr error
	}{
		{"accept pending", func() (Entry, error) { return r.Accept(ctx, "a") },
			Entry{ID: "a", State: StateAccepted, Public: ka, Fingerprint: ka.Fingerprint(), Prior: StatePending}, nil},
		{"accept again", func() (Entry, error) { return r.Accept(ctx, "a") }, Entry{}, ErrNotFound},
		{"reject accepted", func() (Entry, error) { return r.Reject(ctx, "a") },
			Entry{ID: "a", State: StateRejected, Public: ka, Fingerprint: ka.Fingerprint(), Prior: StateAccepted}, nil},
		{"reject again", func() (Entry, error) { return r.Reject(ctx, "a") }, Entry{}, ErrNotFound},
		{"accept rejected", func() (Entry, error) { return r.Accept(ctx, "a") },
			Entry{ID: "a", State: StateAccepted, Public: ka, Fingerprint: ka.Fingerprint(), Prior: StateRejected}, nil},
		{"reject pending", func() (Entry, error) { return r.Reject(ctx, "b") },
			Entry{ID: "b", State: StateRejected, Public: kb, Fingerprint: kb.Fingerprint(), Prior: StatePending}, nil},
		{"accept unknown", func() (Entry, error) { return r.Accept(ctx, "zz") }, Entry{}, ErrNotFound},
		{"reject unknown", func() (Entry, error) { return r.Reject(ctx, "zz") }, Entry{}, ErrNotFound},
	}
	for _, st := range steps {
		got, err := st.do()
		if st.isErr != nil {
			if !errors.Is(err, st.isErr) {
				t.Errorf("%s: err = %v, want %v", st.name, err, st.isErr)
			}
			continue
		}
		if err != nil || got != st.want {
			t.Errorf("%s = %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}

	// A rejected minion stays rejected; an impostor of an accepted one is
	// denied and recorded beside it.
	if st, _ := r.Check(ctx, "b", kb); st != StateRejected {
		t.Errorf("Check(rejected b) = %s", st)
	}
	if st, _ := r.Check(ctx, "a", kx); st != StateDenied {
		t.Errorf("Check(a, other key) = %s", st)
	}
	if st, _ := r.Check(ctx, "a", ka); st != StateAccepted {
		t.Errorf("Check(a, its key) after an impostor = %s", st)
	}

	all, err := r.AcceptAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != "c" || all[0].Prior != StatePending || all[0].State != StateAccepted {
		t.Errorf("AcceptAll = %+v, want just c (b is rejected, not pending)", all)
	}
	if all, err := r.AcceptAll(ctx); err != nil || len(all) != 0 {
		t.Errorf("AcceptAll with nothing pending = %+v, %v", all, err)
	}

	got, err := r.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].State != StateAccepted || !got[0].Public.Equal(ka) ||
		got[1].State != StateDenied || !got[1].Public.Equal(kx) {
		t.Errorf("Get(a) = %+v, want accepted ka then denied kx", got)
	}

	del, err := r.Delete(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{ID: "a", State: StateAccepted, Public: ka, Fingerprint: ka.Fingerprint()},
		{ID: "a", State: StateDenied, Public: kx, Fingerprint: kx.Fingerprint()},
	}
	if !reflect.DeepEqual(del, want) {
		t.Errorf("Delete(a) = %+v, want %+v", del, want)
	}
	if _, err := r.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if _, err := r.Delete(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	// Once deleted the id starts over, with any key.
	if st, err := r.Check(ctx, "a", kx); err != nil || st != StatePending {
		t.Errorf("Check after Delete = %s, %v; want pending", st, err)
	}
}

func TestList(t *testing.T) { eachRegistry(t, testList) }

func testList(t *testing.T, h harness) {
	ctx := context.Background()
	r, seedKey, _ := h(t, false)
	if l, err := r.List(ctx); err != nil || len(l) != 0 {
		t.Fatalf("List on empty registry = %v, %v", l, err)
	}
	keys := map[string]crypto.MinionPublic{}
	for _, s := range []struct {
		state State
		id    string
	}{
		{StateDenied, "a"}, {StatePending, "zeta"}, {StateAccepted, "web2"}, {StateAccepted, "a"},
		{StateRejected, "old"}, {StatePending, "db1"}, {StateAccepted, "web10"},
	} {
		k := newKey(t)
		keys[string(s.state)+"/"+s.id] = k
		seedKey(s.state, s.id, k)
	}
	fr, ok := r.(*FileRegistry)
	if !ok {
		checkListOrder(t, r, keys)
		return
	}
	dir := fr.dir
	// Not keys of this registry: a subdirectory and a name no id can have.
	if err := os.Mkdir(filepath.Join(dir, dirAccepted, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, dirAccepted, "notes about web1"), []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkListOrder(t, r, keys)

	// A file named like a minion that holds no key is an error naming it.
	if err := os.WriteFile(filepath.Join(dir, dirPending, "broken"), []byte("ssh-ed25519 AAAA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := r.List(ctx)
	if !errors.Is(err, ErrBadKeyFile) || !strings.Contains(err.Error(), filepath.Join(dirPending, "broken")) {
		t.Errorf("List with a bad file = %v, want ErrBadKeyFile naming minions_pre/broken", err)
	}
}

func checkListOrder(t *testing.T, r Registry, keys map[string]crypto.MinionPublic) {
	t.Helper()
	got, err := r.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range got {
		k := string(e.State) + "/" + e.ID
		order = append(order, k)
		if !e.Public.Equal(keys[k]) || e.Fingerprint != keys[k].Fingerprint() || e.Prior != "" {
			t.Errorf("entry %s = %+v", k, e)
		}
	}
	want := []string{"accepted/a", "accepted/web10", "accepted/web2", "pending/db1", "pending/zeta",
		"rejected/old", "denied/a"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("List order = %v, want %v", order, want)
	}
}

func TestBadKeyFiles(t *testing.T) {
	ctx := context.Background()
	master, err := crypto.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	masterText, _ := master.Public().MarshalText()
	tests := []struct {
		name    string
		content []byte
		wantIs  error
	}{
		{"garbage", []byte("not a key\n"), ErrBadKeyFile},
		{"empty", nil, ErrBadKeyFile},
		{"a master key is not a minion key", masterText, crypto.ErrWrongKeyKind},
		{"huge", []byte(strings.Repeat("x", 1<<20)), ErrBadKeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, dir := newRegistry(t, true)
			p := filepath.Join(dir, dirAccepted, "web1")
			if err := os.WriteFile(p, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			// Auth for that id fails (it is not silently re-registered)...
			if st, err := r.Check(ctx, "web1", newKey(t)); !errors.Is(err, tt.wantIs) || !errors.Is(err, ErrBadKeyFile) {
				t.Errorf("Check = %s, %v; want ErrBadKeyFile (and %v)", st, err, tt.wantIs)
			}
			if _, err := r.Get(ctx, "web1"); !errors.Is(err, ErrBadKeyFile) {
				t.Errorf("Get = %v, want ErrBadKeyFile", err)
			}
			if _, err := r.Reject(ctx, "web1"); !errors.Is(err, ErrBadKeyFile) {
				t.Errorf("Reject = %v, want ErrBadKeyFile", err)
			}
			// ...other ids are unaffected...
			if st, err := r.Check(ctx, "web2", newKey(t)); err != nil || st != StateAccepted {
				t.Errorf("Check(web2) = %s, %v", st, err)
			}
			// ...and Delete is how the operator clears it.
			del, err := r.Delete(ctx, "web1")
			if err != nil || len(del) != 1 || del[0].State != StateAccepted || del[0].Fingerprint != "" {
				t.Errorf("Delete = %+v, %v", del, err)
			}
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("bad file still there: %v", err)
			}
		})
	}
}

// TestPathTraversal tries to make every method touch a file outside the
// state directories.
func TestPathTraversal(t *testing.T) {
	ctx := context.Background()
	r, dir := newRegistry(t, true)
	victimKey := newKey(t)
	text, _ := victimKey.MarshalText()
	// Targets a traversal would hit: a file in pki_dir and one beside it.
	inPKI := filepath.Join(dir, "victim")
	beside := filepath.Join(filepath.Dir(dir), "victim")
	for _, p := range []string{inPKI, beside} {
		if err := os.WriteFile(p, text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := onDisk(t, dir)

	ids := []string{
		"../victim", "../../victim", "..", ".", "", "minions/../../victim", "a/b", `..\victim`,
		"/etc/passwd", "victim\x00", "web1\n", " web1", "wéb1", strings.Repeat("a", 256),
	}
	for _, id := range ids {
		calls := map[string]error{}
		_, calls["Check"] = r.Check(ctx, id, newKey(t))
		_, calls["Get"] = r.Get(ctx, id)
		_, calls["Accept"] = r.Accept(ctx, id)
		_, calls["Reject"] = r.Reject(ctx, id)
		_, calls["Delete"] = r.Delete(ctx, id)
		for name, err := range calls {
			if !errors.Is(err, ErrInvalidID) {
				t.Errorf("%s(%q) = %v, want ErrInvalidID", name, id, err)
			}
		}
	}
	for _, p := range []string{inPKI, beside} {
		if b, err := os.ReadFile(p); err != nil || string(b) != string(text) {
			t.Errorf("%s changed: %q, %v", p, b, err)
		}
	}
	if after := onDisk(t, dir); !reflect.DeepEqual(after, before) {
		t.Errorf("registry changed by invalid ids: %v", after)
	}
}

func TestCheckRefuses(t *testing.T) {
	r, dir := newRegistry(t, true)
	if _, err := r.Check(context.Background(), "web1", crypto.MinionPublic{}); err == nil {
		t.Error("Check with a zero key succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Check(ctx, "web1", newKey(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("Check(cancelled) = %v", err)
	}
	if _, err := r.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled) = %v", err)
	}
	if d := onDisk(t, dir); len(d) != 0 {
		t.Errorf("refused Checks wrote %v", d)
	}
}

// TestConcurrentFirstContact races many connections claiming the same new
// id with different keys: exactly one key may end up pending, every other
// one is denied, and the answers agree with the files.
func TestConcurrentFirstContact(t *testing.T) { eachRegistry(t, testConcurrentFirstContact) }

func testConcurrentFirstContact(t *testing.T, h harness) {
	ctx := context.Background()
	r, _, _ := h(t, false)
	const n = 16
	pubs := make([]crypto.MinionPublic, n)
	for i := range pubs {
		pubs[i] = newKey(t)
	}
	results := make([]State, n)
	var wg sync.WaitGroup
	for i := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := r.Check(ctx, "contested", pubs[i])
			if err != nil {
				t.Error(err)
			}
			results[i] = st
		}()
	}
	// Readers and unrelated writers alongside.
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.List(ctx); err != nil {
				t.Error(err)
			}
			if _, err := r.Check(ctx, fmt.Sprintf("other%d", i), newKey(t)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	winner := -1
	for i, st := range results {
		switch st {
		case StatePending:
			if winner >= 0 {
				t.Fatalf("keys %d and %d both pending", winner, i)
			}
			winner = i
		case StateDenied:
		default:
			t.Errorf("key %d: %s", i, st)
		}
	}
	if winner < 0 {
		t.Fatal("no key pending")
	}
	es, err := r.Get(ctx, "contested")
	if err != nil {
		t.Fatal(err)
	}
	if es[0].State != StatePending || !es[0].Public.Equal(pubs[winner]) {
		t.Errorf("pending key on disk is not the one reported pending: %+v", es[0])
	}
	l, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range l {
		ids[string(e.State)+"/"+e.ID] = true
	}
	var got []string
	for k := range ids {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"denied/contested", "pending/contested", "pending/other0", "pending/other1", "pending/other2", "pending/other3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
}

func BenchmarkCheckAccepted(b *testing.B) {
	r, dir := newRegistry(b, false)
	k := newKey(b)
	seed(b, dir, StateAccepted, "web1", k)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st, err := r.Check(ctx, "web1", k); err != nil || st != StateAccepted {
			b.Fatal(st, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
