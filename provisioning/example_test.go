package provisioning_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"

	"bedside/provisioning"
)

func ExampleEncodePayload() {
	pin := sha256.Sum256([]byte("the server's certificate, DER"))
	text, err := provisioning.EncodePayload(provisioning.Payload{
		Server: "https://ward3.example:8443",
		Token:  "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", // from NewEnrollmentSecrets
		Pin:    pin[:],
		Ward:   "Ward 3",
		Bed:    "12",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(text)

	p, err := provisioning.ParsePayload(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("Pairing to %s, bed %s at %s\n", p.Ward, p.Bed, p.Server)
	// Output:
	// BSD1:S=https://ward3.example:8443;T=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567;P=IoJ8BULsk4noUNSQyFbhr3ifNXi_hXBJASkRfPmhjo8;N=Ward 3;B=12
	// Pairing to Ward 3, bed 12 at https://ward3.example:8443
}

func ExampleParsePayload() {
	_, err := provisioning.ParsePayload("BSD9:S=https://x")
	fmt.Println(err)
	_, err = provisioning.ParsePayload("BSD1:S=ftp://x;T=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	fmt.Println(err)
	// Output:
	// provisioning: enrollment code of an unknown version
	// provisioning: bad server URL in enrollment code: scheme is not http or https
}

func ExampleNewEnrollmentSecrets() {
	// The server uses crypto/rand.Reader; a fixed reader makes the example repeatable.
	token, code, err := provisioning.NewEnrollmentSecrets(strings.NewReader(strings.Repeat("bedside!", 8)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(token), provisioning.IsToken(token))
	fmt.Println(provisioning.FormatCode(code), provisioning.IsCode(code))
	// The store keeps only hashes; a typed code matches however it was typed.
	fmt.Println(bytes.Equal(provisioning.HashSecret(code), provisioning.HashSecret(strings.ToLower(provisioning.FormatCode(code)))))
	// Output:
	// 32 true
	// E9A4-7A9R true
	// true
}

func ExamplePairingRequestURL() {
	fmt.Println(provisioning.PairingRequestURL("https://ward3.example:8443", "abcd-efgh", "ABCD-EFGH-IJKL-MNOP"))
	// Output:
	// https://ward3.example:8443/console/pair?c=ABCDEFGH&f=ABCD-EFGH-IJKL-MNOP
}
