// Command package builds the halite-master and halite-minion packages
// (.deb, .rpm, .apk) with nfpm from the binaries in -bin: `make package`.
// Man pages and shell completions are generated from the binaries
// themselves, so they always describe the commands shipped.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/apk"
	_ "github.com/goreleaser/nfpm/v2/deb"
	_ "github.com/goreleaser/nfpm/v2/rpm"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding halite-master and halite-minion")
	out := flag.String("out", "dist", "directory to write the packages to")
	formats := flag.String("formats", "deb,rpm,apk", "package formats, comma-separated")
	flag.Parse()
	if err := build(*bin, *out, strings.Split(*formats, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

func build(bin, out string, formats []string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "halite-package")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	var ver string
	for _, name := range []string{"halite-master", "halite-minion"} {
		v, err := stageDocs(filepath.Join(bin, name), stage)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		ver = v
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	env := map[string]string{"VERSION": packageVersion(ver), "ARCH": runtime.GOARCH, "BIN": bin, "STAGE": stage}
	for _, name := range []string{"halite-master", "halite-minion"} {
		cfg, err := nfpm.ParseFileWithEnvMapping(filepath.Join("packaging", name+".yaml"), func(k string) string { return env[k] })
		if err != nil {
			return fmt.Errorf("packaging/%s.yaml: %w", name, err)
		}
		for _, format := range formats {
			if err := pack(cfg, format, out); err != nil {
				return fmt.Errorf("%s %s: %w", name, format, err)
			}
		}
	}
	return nil
}

func pack(cfg nfpm.Config, format, out string) error {
	info, err := cfg.Get(format)
	if err != nil {
		return err
	}
	info = nfpm.WithDefaults(info)
	p, err := nfpm.Get(format)
	if err != nil {
		return err
	}
	target := filepath.Join(out, p.ConventionalFileName(info))
	f, err := os.Create(target)
	if err != nil {
		return err
	}
	info.Target = target
	if err := p.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println(target)
	return nil
}

// stageDocs writes the binary's gzipped man pages and its completions
// into stage, and returns its version.
func stageDocs(binary, stage string) (string, error) {
	name := filepath.Base(binary)
	man := filepath.Join(stage, "man-"+name)
	if err := run(nil, binary, "man", man); err != nil {
		return "", err
	}
	pages, err := filepath.Glob(filepath.Join(man, "*.1"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(stage, "man"), 0o755); err != nil {
		return "", err
	}
	for _, p := range pages {
		if err := gzipTo(p, filepath.Join(stage, "man", filepath.Base(p)+".gz")); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Join(stage, "completion"), 0o755); err != nil {
		return "", err
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		var b bytes.Buffer
		if err := run(&b, binary, "completion", shell); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(stage, "completion", name+"."+shell), b.Bytes(), 0o644); err != nil {
			return "", err
		}
	}
	var v bytes.Buffer
	if err := run(&v, binary, "--version"); err != nil {
		return "", err
	}
	f := strings.Fields(v.String())
	if len(f) == 0 {
		return "", fmt.Errorf("no version from %s --version", binary)
	}
	return f[len(f)-1], nil
}

var semver = regexp.MustCompile(`^v?(\d+\.\d+\.\d+)(.*)$`)

// packageVersion makes a build's version one every package manager
// orders: v1.2.3 is 1.2.3, a commit build is 0.0.0+git<describe>.
func packageVersion(v string) string {
	clean := strings.NewReplacer("-", ".", "_", ".").Replace
	if m := semver.FindStringSubmatch(v); m != nil {
		if m[2] == "" {
			return m[1]
		}
		return m[1] + "+" + clean(strings.TrimLeft(m[2], "-+"))
	}
	return "0.0.0+git" + clean(v)
}

func run(stdout *bytes.Buffer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, errb.String())
	}
	return nil
}

func gzipTo(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
