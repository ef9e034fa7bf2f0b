// Command attack plays the attacker against a master on loopback (see
// package test/attack): crash packets, slowloris, auth floods, replays,
// and with an accepted key (-pki, -id) hostile returns.
//
//	go run ./tools/attack -ret 127.0.0.1:4506 -pub 127.0.0.1:4505
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/test/attack"
)

func main() {
	var cfg attack.Config
	var pki string
	flag.StringVar(&cfg.RetAddr, "ret", "127.0.0.1:4506", "the master's ret port")
	flag.StringVar(&cfg.PubAddr, "pub", "127.0.0.1:4505", "the master's publish port")
	flag.StringVar(&cfg.Source, "source", "127.0.0.2", "local address to attack from")
	flag.IntVar(&cfg.Slowloris, "slowloris", 2000, "idle connections to hold")
	flag.IntVar(&cfg.AuthFlood, "auth-flood", 2000, "auth requests with new ids")
	flag.IntVar(&cfg.CrashPackets, "crash", 50, "crash packets per port")
	flag.IntVar(&cfg.Returns, "returns", 10, "rounds of hostile returns (needs -pki and -id)")
	flag.DurationVar(&cfg.Hold, "hold", 10*time.Second, "how long to hold the slowloris connections")
	flag.StringVar(&pki, "pki", "", "pki_dir of an accepted minion whose key to use")
	flag.StringVar(&cfg.ID, "id", "", "that minion's id")
	flag.Parse()
	if pki != "" {
		k, err := crypto.LoadOrGenerateMinionKey(pki)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cfg.Key = &k
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := attack.Run(ctx, cfg)
	fmt.Println(rep)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
