// Package service provides the service.* states: keep system services
// running or stopped and enabled or disabled at boot. It uses systemd when
// systemd runs the machine and SysV init scripts (service, update-rc.d)
// otherwise.
//
//	nginx:
//	  service.running:
//	    - enable: True
//	    - reload: True
//	    - watch:
//	      - file: /etc/nginx/nginx.conf
//
// A watch that fires restarts a running service (reloads it with
// reload: True) and starts a stopped one.
package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	modsvc "github.com/halite/halite/pkg/modules/service"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "service.running", Func: running, ModWatch: modWatch("running"), Doc: `Ensure a service is running.

Arguments: enable (True: also start at boot; False: do not; default: leave
as is), reload (on watch, reload instead of restart), init_delay (seconds
to wait after starting).`})
	state.Register(state.Def{Name: "service.dead", Func: dead, ModWatch: modWatch("dead"), Doc: `Ensure a service is stopped.

Arguments: enable (as for service.running), init_delay.`})
	state.Register(state.Def{Name: "service.enabled", Func: enabled, Doc: "Ensure a service starts at boot, without starting or stopping it now."})
	state.Register(state.Def{Name: "service.disabled", Func: disabled, Doc: "Ensure a service does not start at boot, without starting or stopping it now."})
}

// backend is the machine's service manager, chosen once when the package
// loads (the init system does not change while we run).
var backend = modsvc.Detect()

type spec struct {
	name      string
	enable    *bool
	reload    bool
	initDelay time.Duration
}

func parse(req *state.Request) (spec, error) {
	a := args.Lenient(req.Args, req.Warn)
	s := spec{name: req.Name}
	if a.Has("enabled") {
		a.Fail("enabled", `unknown option "enabled"; perhaps "enable" was intended?`)
	}
	s.enable = a.OptBool("enable")
	s.reload = a.Bool("reload", false)
	if n, ok := a.OptInt("init_delay"); ok {
		if n < 0 {
			a.Fail("init_delay", "must not be negative")
		}
		s.initDelay = time.Duration(n) * time.Second
	}
	a.Ignore("sig", "full_restart", "force", "no_block", "unmask", "unmask_runtime", "timeout")
	return s, a.Err()
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

// available checks the service exists. In test mode a missing service is
// not an error: an earlier state may install it.
func available(ctx context.Context, req *state.Request, name, what string) (state.Result, bool) {
	ok, err := backend.Available(ctx, name)
	if err != nil {
		return fail("%v", err), false
	}
	if ok {
		return state.Result{}, true
	}
	if req.Test {
		return state.Result{Comment: fmt.Sprintf("Service %s not present; if created in this state run, it would have been %s", name, what)}, false
	}
	return fail("The named service %s is not available", name), false
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// boot applies enable: True/False after the run state is settled and
// merges its outcome into res. desc describes the run state for comments
// ("is running", "is dead", "is in the desired state").
func boot(ctx context.Context, req *state.Request, name string, enable *bool, desc string, res state.Result) state.Result {
	if enable == nil {
		return res
	}
	want := *enable
	is, err := backend.IsEnabled(ctx, name)
	if err != nil {
		res.Result = state.False()
		res.Comment = join(res.Comment, err.Error())
		return res
	}
	verb := "enabled"
	if !want {
		verb = "disabled"
	}
	if is == want {
		res.Comment = join(res.Comment, fmt.Sprintf("Service %s is already %s, and %s", name, verb, desc))
		return res
	}
	if res.Changes == nil {
		res.Changes = map[string]any{}
	}
	res.Changes[name] = true
	if req.Test {
		res.Result = nil
		res.Comment = join(res.Comment, fmt.Sprintf("Service %s set to be %s", name, verb))
		return res
	}
	if want {
		err = backend.Enable(ctx, name)
	} else {
		err = backend.Disable(ctx, name)
	}
	if err == nil {
		is, err = backend.IsEnabled(ctx, name)
		if err == nil && is != want {
			err = fmt.Errorf("the service manager still reports it %s", map[bool]string{true: "enabled", false: "disabled"}[is])
		}
	}
	if err != nil {
		delete(res.Changes, name)
		res.Result = state.False()
		when := "start"
		if !want {
			when = "not start"
		}
		res.Comment = join(res.Comment, fmt.Sprintf("Failed when setting service %s to %s at boot: %v", name, when, err))
		return res
	}
	res.Comment = join(res.Comment, fmt.Sprintf("Service %s has been %s, and %s", name, verb, desc))
	return res
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

func running(ctx context.Context, req *state.Request) state.Result {
	s, err := parse(req)
	if err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if r, ok := available(ctx, req, s.name, "started"); !ok {
		return r
	}
	up, err := backend.Status(ctx, s.name)
	if err != nil {
		return fail("%v", err)
	}
	if up {
		res := state.Result{Result: state.True(), Comment: fmt.Sprintf("The service %s is already running", s.name)}
		return boot(ctx, req, s.name, s.enable, "is in the desired state", res)
	}
	if req.Test {
		res := state.Result{Changes: map[string]any{s.name: true}, Comment: fmt.Sprintf("Service %s is set to start", s.name)}
		return boot(ctx, req, s.name, s.enable, "is running", res)
	}
	if err := backend.Start(ctx, s.name); err != nil {
		return boot(ctx, req, s.name, s.enable, "is dead", fail("Service %s failed to start: %v", s.name, err))
	}
	sleep(ctx, s.initDelay)
	up, err = backend.Status(ctx, s.name)
	if err != nil || !up {
		return boot(ctx, req, s.name, s.enable, "is dead", fail("Service %s failed to start: it is not running after the start command", s.name))
	}
	res := state.Result{Result: state.True(), Changes: map[string]any{s.name: true}, Comment: fmt.Sprintf("Started service %s", s.name)}
	return boot(ctx, req, s.name, s.enable, "is running", res)
}

func dead(ctx context.Context, req *state.Request) state.Result {
	s, err := parse(req)
	if err != nil {
		return fail("Invalid arguments: %v", err)
	}
	ok, err := backend.Available(ctx, s.name)
	if err != nil {
		return fail("%v", err)
	}
	if !ok {
		// Salt: a service that does not exist is as dead as can be.
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("The named service %s is not available", s.name)}
	}
	up, err := backend.Status(ctx, s.name)
	if err != nil {
		return fail("%v", err)
	}
	if !up {
		res := state.Result{Result: state.True(), Comment: fmt.Sprintf("The service %s is already dead", s.name)}
		return boot(ctx, req, s.name, s.enable, "is in the desired state", res)
	}
	if req.Test {
		res := state.Result{Changes: map[string]any{s.name: true}, Comment: fmt.Sprintf("Service %s is set to be killed", s.name)}
		return boot(ctx, req, s.name, s.enable, "is dead", res)
	}
	if err := backend.Stop(ctx, s.name); err != nil {
		return boot(ctx, req, s.name, s.enable, "is running", fail("Service %s failed to die: %v", s.name, err))
	}
	sleep(ctx, s.initDelay)
	up, err = backend.Status(ctx, s.name)
	if err != nil || up {
		return boot(ctx, req, s.name, s.enable, "is running", fail("Service %s failed to die: it is still running after the stop command", s.name))
	}
	res := state.Result{Result: state.True(), Changes: map[string]any{s.name: true}, Comment: fmt.Sprintf("Service %s was killed", s.name)}
	return boot(ctx, req, s.name, s.enable, "is dead", res)
}

func enabled(ctx context.Context, req *state.Request) state.Result {
	return atBoot(ctx, req, true)
}

func disabled(ctx context.Context, req *state.Request) state.Result {
	return atBoot(ctx, req, false)
}

func atBoot(ctx context.Context, req *state.Request, want bool) state.Result {
	s, err := parse(req)
	if err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if s.enable != nil {
		return fail("Invalid arguments: argument \"enable\" is not used by service.enabled/service.disabled")
	}
	ok, err := backend.Available(ctx, s.name)
	if err != nil {
		return fail("%v", err)
	}
	if !ok {
		if !want {
			return state.Result{Result: state.True(), Comment: fmt.Sprintf("The named service %s is not available", s.name)}
		}
		if req.Test {
			return state.Result{Comment: fmt.Sprintf("Service %s not present; if created in this state run, it would have been enabled", s.name)}
		}
		return fail("The named service %s is not available", s.name)
	}
	return boot(ctx, req, s.name, &want, "is in the desired state", state.Result{Result: state.True()})
}

// modWatch is Salt's service.mod_watch for the given state function.
func modWatch(sfun string) state.Func {
	return func(ctx context.Context, req *state.Request) state.Result {
		s, err := parse(req)
		if err != nil {
			return fail("Invalid arguments: %v", err)
		}
		if r, ok := available(ctx, req, s.name, "restarted"); !ok {
			return r
		}
		up, err := backend.Status(ctx, s.name)
		if err != nil {
			return fail("%v", err)
		}
		var verb, done string
		var act func(context.Context, string) error
		switch {
		case sfun == "dead" && !up:
			return state.Result{Result: state.True(), Comment: "Service is already stopped"}
		case sfun == "dead":
			verb, done, act = "stop", "stopped", backend.Stop
		case !up:
			verb, done, act = "start", "started", backend.Start
		case s.reload:
			verb, done, act = "reload", "reloaded", backend.Reload
		default:
			verb, done, act = "restart", "restarted", backend.Restart
		}
		if req.Test {
			return state.Result{Changes: map[string]any{s.name: true}, Comment: "Service is set to be " + done}
		}
		if err := act(ctx, s.name); err != nil {
			return fail("Failed to %s the service: %v", verb, err)
		}
		sleep(ctx, s.initDelay)
		if up, err := backend.Status(ctx, s.name); err != nil || up != (sfun == "running") {
			return state.Result{Result: state.False(), Changes: map[string]any{s.name: true},
				Comment: fmt.Sprintf("Service %s, but it is %s now", done, strings.TrimSpace(map[bool]string{true: "running", false: "not running"}[up]))}
		}
		return state.Result{Result: state.True(), Changes: map[string]any{s.name: true}, Comment: "Service " + done}
	}
}
