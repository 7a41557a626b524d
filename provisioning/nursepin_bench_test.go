package provisioning_test

import (
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"bedside/provisioning"
)

// BenchmarkNursePINCheck is what one typed PIN costs the tablet (and one guess costs a thief
// with its storage): the argon2id check, beside the bcrypt checks it replaces (the console's
// default cost, and the lowest cost of the demo's and the default PIN's hashes).
func BenchmarkNursePINCheck(b *testing.B) {
	h, err := provisioning.HashNursePIN("975310", rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("argon2id", func(b *testing.B) {
		for b.Loop() {
			if ok, err := provisioning.CheckNursePIN(h, "975311"); ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	for _, ref := range []struct {
		name string
		cost int
	}{{"bcrypt-default-cost", bcrypt.DefaultCost}, {"bcrypt-min-cost", bcrypt.MinCost}} {
		hash, err := bcrypt.GenerateFromPassword([]byte("975310"), ref.cost)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(ref.name, func(b *testing.B) {
			for b.Loop() {
				if bcrypt.CompareHashAndPassword(hash, []byte("975311")) == nil {
					b.Fatal("matched")
				}
			}
		})
	}
}
