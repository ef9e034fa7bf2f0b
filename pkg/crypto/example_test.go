package crypto_test

import (
	"fmt"
	"log"
	"time"

	"github.com/halite/halite/pkg/crypto"
)

// A minion authenticates, the master accepts it and hands out the session
// keys; then the master publishes a job and the minion answers on its
// request channel.
func Example() {
	masterKey, err := crypto.GenerateMasterKey()
	if err != nil {
		log.Fatal(err)
	}
	minionKey, err := crypto.GenerateMinionKey()
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now()

	// Minion: sign an auth request.
	req, eph, err := crypto.NewAuthRequest(minionKey, "web1", now)
	if err != nil {
		log.Fatal(err)
	}
	wire, _ := req.Marshal()

	// Master: check it and answer (here the key is already accepted).
	got, err := crypto.UnmarshalAuthRequest(wire)
	if err != nil {
		log.Fatal(err)
	}
	if err := got.Verify(now, 2*time.Minute); err != nil {
		log.Fatal(err)
	}
	ring := crypto.NewKeyring(crypto.DefaultKeyringGrace)
	pk, _ := crypto.NewPublishKey(1)
	ring.Set(pk)
	rk, _ := crypto.NewRequestKey()
	reply, err := crypto.SealAuthReply(masterKey, got, crypto.StatusAccepted,
		&crypto.SessionKeys{Publish: ring.Current(), Request: rk}, now)
	if err != nil {
		log.Fatal(err)
	}
	masterSide := crypto.NewChannel(rk, got.ID, crypto.ToMinion)

	// Minion: open the reply, pinning the master by fingerprint.
	trust, err := crypto.PinFingerprint(masterKey.Public().Fingerprint())
	if err != nil {
		log.Fatal(err)
	}
	keys, err := reply.Open(req, eph, trust)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", reply.Status)
	minionRing := crypto.NewKeyring(crypto.DefaultKeyringGrace)
	minionRing.Set(keys.Publish)
	minionSide := crypto.NewChannel(keys.Request, "web1", crypto.ToMaster)

	// Master publishes a job to everyone.
	env, err := ring.Current().Seal(masterKey, []byte("test.ping"))
	if err != nil {
		log.Fatal(err)
	}
	job, epoch, err := crypto.OpenPublished(minionRing.Lookup, masterKey.Public(), env)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("job: %s (epoch %d)\n", job, epoch)

	// Minion returns on its own channel.
	ret, err := masterSide.Open(minionSide.Seal([]byte("True")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("return: %s\n", ret)
	// Output:
	// status: accepted
	// job: test.ping (epoch 1)
	// return: True
}

func ExampleFingerprintMatches() {
	var pub crypto.MasterPublic
	if err := pub.UnmarshalText([]byte("halite-master:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(pub.Fingerprint())
	fmt.Println(crypto.FingerprintMatches(pub, "21FE31DFA154A261626BF854046FD2271B7BED4B6ABE45AA58877EF47F9721B9"))
	// Output:
	// 21:fe:31:df:a1:54:a2:61:62:6b:f8:54:04:6f:d2:27:1b:7b:ed:4b:6a:be:45:aa:58:87:7e:f4:7f:97:21:b9
	// true
}
