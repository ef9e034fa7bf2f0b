package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/config"
)

// ServePprof serves net/http/pprof on addr (pprof_listen in the config)
// until ctx ends. It is off unless configured, and only on loopback unless
// allowRemote (pprof_allow_remote): it has no authentication.
func ServePprof(ctx context.Context, addr string, allowRemote bool, log hclog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if !allowRemote && !config.IsLoopback(ln.Addr().String()) {
		ln.Close()
		return fmt.Errorf("pprof_listen: %s is not a loopback address; set pprof_allow_remote: true to serve pprof there", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof server", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	log.Info("pprof listening", "addr", ln.Addr())
	return nil
}
