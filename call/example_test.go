package call_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"bedside/call"
	"bedside/call/calltest"
	"bedside/call/media"
	"bedside/call/signal"
)

// deviceKey is a device identity: the provisioning package's identity plays this part in the app.
type deviceKey struct {
	id  string
	key ed25519.PrivateKey
}

func (d deviceKey) DeviceID() string       { return d.id }
func (d deviceKey) Sign(msg []byte) []byte { return ed25519.Sign(d.key, msg) }

// waitFor reads the phone's snapshots until its call reaches state, and prints it.
func waitFor(who string, p *call.Phone, state call.State) {
	timeout := time.After(30 * time.Second)
	for {
		if c := p.Snapshot().Call; c.State == state {
			fmt.Printf("%s: %s %s", who, c.Direction, c.State)
			if c.Reason != "" {
				fmt.Printf(" (%s)", c.Reason)
			}
			fmt.Println()
			return
		}
		select {
		case <-p.Updates():
		case <-timeout:
			fmt.Println(who, "timed out")
			return
		}
	}
}

// A bedside tablet calls a family member and hangs up. The ward server here is calltest.Hub;
// in the app it is the real one, at a wss:// URL.
func ExamplePhone() {
	_, key, _ := ed25519.GenerateKey(nil)
	tablet := deviceKey{id: "tablet-1", key: key}
	hub, err := calltest.NewHub(calltest.HubConfig{
		Device:    tablet.id,
		DeviceKey: key.Public().(ed25519.PublicKey),
		Family:    map[string]signal.Party{"link-token": {ID: "anna", Name: "Anna"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	newPhone := func(cfg call.Config) (*call.Phone, error) {
		src, err := media.NewTest(media.TestOptions{Width: 320, Height: 240})
		if err != nil {
			return nil, err
		}
		cfg.ServerURL, cfg.Media, cfg.LoopbackOnly = hub.URL(), src, true
		p, err := call.New(cfg)
		if err == nil {
			err = src.Start(ctx)
		}
		if err != nil {
			_ = src.Close()
			return nil, err
		}
		go func() {
			_ = p.Run(ctx)
			_ = src.Close()
		}()
		return p, nil
	}
	patient, err := newPhone(call.Config{Signer: tablet})
	if err != nil {
		fmt.Println(err)
		return
	}
	family, err := newPhone(call.Config{FamilyToken: "link-token", AutoAnswer: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for !patient.Connected() || !family.Connected() {
		time.Sleep(10 * time.Millisecond)
	}

	if _, err := patient.Dial(ctx, "anna"); err != nil {
		fmt.Println(err)
		return
	}
	// The snapshots show the newest state: a reader that looks late skips the states between.
	waitFor("patient", patient, call.InCall)
	waitFor("family", family, call.InCall)
	_ = patient.Hangup(ctx)
	waitFor("patient", patient, call.Ended)
	waitFor("family", family, call.Ended)

	// Output:
	// patient: outgoing in-call
	// family: incoming in-call
	// patient: outgoing ended (hangup)
	// family: incoming ended (hangup)
}
