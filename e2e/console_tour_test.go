package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/provisioning"
	"bedside/server/console"
	"bedside/server/store"
)

// consoleSeeded is a ward filled as after a few days of use.
type consoleSeeded struct {
	ward       store.Ward
	bed, bed2  store.Bed
	patient    store.Patient
	contact    store.Contact
	nursePass  string
	staleTab   store.Device
	pairedCode string
}

func consoleSeed(t *testing.T, w *ward) consoleSeeded {
	t.Helper()
	ctx := context.Background()
	st := w.st
	var s consoleSeeded
	var err error
	s.ward, err = st.CreateWard(ctx, store.Ward{Name: "Medicina 3"})
	require.NoError(t, err)
	for i, name := range []string{"1", "2", "3", "4"} {
		b, err := st.CreateBed(ctx, store.Bed{WardID: s.ward.ID, Name: name})
		require.NoError(t, err)
		switch i {
		case 0:
			s.bed = b
		case 1:
			s.bed2 = b
		}
	}
	s.patient, err = st.Admit(ctx, store.Patient{BedID: s.bed.ID, FirstName: "Giuseppe", Language: "it", VisitingHours: "10:00-19:00"})
	require.NoError(t, err)
	_, err = st.Admit(ctx, store.Patient{BedID: s.bed2.ID, FirstName: "Rosa", Language: "it"})
	require.NoError(t, err)
	for i, who := range [][2]string{{"Lucia", "figlia"}, {"Marco", "nipote"}} {
		img := image.NewRGBA(image.Rect(0, 0, 300, 300))
		for y := 0; y < 300; y++ {
			for x := 0; x < 300; x++ {
				img.Set(x, y, color.RGBA{uint8(60 + i*120), uint8(100 + x/4), uint8(140 + y/4), 255})
			}
		}
		var buf bytes.Buffer
		require.NoError(t, jpeg.Encode(&buf, img, nil))
		sum := sha256.Sum256(buf.Bytes())
		hash := hex.EncodeToString(sum[:])
		require.NoError(t, st.PutPhoto(ctx, hash, "image/jpeg", buf.Bytes()))
		k, err := st.CreateContact(ctx, store.Contact{PatientID: s.patient.ID, Name: who[0], Relation: who[1], Language: "it", PhotoHash: hash, AutoAnswer: i == 0})
		require.NoError(t, err)
		if i == 0 {
			s.contact = k
		}
	}
	now := time.Now()
	for _, c := range []struct {
		dir      store.Direction
		ago      time.Duration
		answered bool
		reason   string
	}{{store.FromFamily, 3 * time.Hour, true, "hangup"}, {store.FromPatient, 2 * time.Hour, false, "missed"}, {store.FromFamily, 20 * time.Minute, true, "hangup"}} {
		rec := store.CallRecord{PatientID: s.patient.ID, ContactID: s.contact.ID, Direction: c.dir, Started: now.Add(-c.ago),
			Ended: now.Add(-c.ago + 7*time.Minute), Reason: c.reason, SetupMS: -1}
		if c.answered {
			rec.Answered = rec.Started.Add(5 * time.Second)
			rec.SetupMS = 640
		}
		_, err := st.LogCall(ctx, rec)
		require.NoError(t, err)
	}
	for i, b := range []store.Bed{s.bed, s.bed2} {
		pub, _, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		d, err := st.CreateDevice(ctx, store.Device{WardID: s.ward.ID, BedID: b.ID, PublicKey: pub, Name: []string{"Tab A7", "Lenovo M10"}[i],
			AppVersion: "1.0.0", Battery: []int{81, 23}[i], LastSeen: now.Add(-time.Duration(1+i*60) * time.Minute)})
		require.NoError(t, err)
		if i == 1 {
			s.staleTab = d
		}
	}
	s.nursePass, err = console.AddUser(ctx, st, "giulia", store.RoleNurse, []string{"Medicina 3"}, rand.Reader)
	require.NoError(t, err)
	return s
}

// The console's main screens at a phone's size, in Italian: a nurse approves a tablet's
// pairing request from her phone, checks the ward's tablets (one offline too long) and shows
// an enrollment code.
func TestConsoleTourOnAPhone(t *testing.T) {
	w := newWard(t, withConsole)
	s := consoleSeed(t, w)
	ctx := newBrowser(t, desk)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))

	// A tablet without a camera shows its pairing request; the phone opens it, logged out.
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	_, code, err := provisioning.NewEnrollmentSecrets(rand.Reader)
	require.NoError(t, err)
	pairURL := provisioning.PairingRequestURL(w.url, code, provisioning.KeyFingerprint(pub))
	do(t, ctx, chromedp.Navigate(w.url+"/console/lang?l=it&next=/console/"), chromedp.WaitVisible(css("#login-form")))
	do(t, ctx, chromedp.Navigate(pairURL), chromedp.WaitVisible(css("#login-form")))
	assert.Equal(t, "Console infermieri", text(t, ctx, "h1"))
	pageShot(t, ctx, "console-phone-login-it")
	logIn(t, ctx, "giulia", s.nursePass, "#pair-form")
	assert.Equal(t, provisioning.FormatCode(code), text(t, ctx, "#pair-code"))
	do(t, ctx, chromedp.SetValue(css(`select[name="target"]`), "bed:"+s.bed.ID))
	pageShot(t, ctx, "console-phone-pair-it")
	do(t, ctx, chromedp.Click(css(`#pair-form button`)), chromedp.WaitVisible(css("#pair-done")))
	assert.Contains(t, text(t, ctx, "#pair-done"), "Medicina 3 · Letto 1")
	en, err := w.st.ConsumeEnrollment(context.Background(), provisioning.HashSecret(code), provisioning.KeyFingerprint(pub), time.Now())
	require.NoError(t, err, "the tablet's own code now enrolls it")
	assert.Equal(t, s.bed.ID, en.BedID)

	// Home, ward, bed.
	do(t, ctx, chromedp.Navigate(w.url+"/console/"), chromedp.WaitVisible(css("#wards")))
	assert.Contains(t, text(t, ctx, "#wards"), "1 non in linea da troppo")
	pageShot(t, ctx, "console-phone-home-it")
	do(t, ctx, chromedp.Navigate(w.url+"/console/wards/"+s.ward.ID), chromedp.WaitVisible(css("#tablets")))
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll('#tablets .alarm-row').length`))
	assert.Contains(t, text(t, ctx, "#tablets .alarm-row"), "Lenovo M10")
	pageShot(t, ctx, "console-phone-ward-it")
	do(t, ctx, chromedp.Navigate(w.url+"/console/beds/"+s.bed.ID), chromedp.WaitVisible(css("#contacts")))
	assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll('#contacts li').length`))
	assert.Equal(t, 3, eval[int](t, ctx, `document.querySelectorAll('#calls tbody tr').length`))
	pageShot(t, ctx, "console-phone-bed-it")

	// An enrollment QR code for bed 3, and a contact's page.
	do(t, ctx, chromedp.Navigate(w.url+"/console/wards/"+s.ward.ID), chromedp.WaitVisible(css("#enroll")),
		chromedp.Click(css("#enroll button")), chromedp.WaitVisible(css("#enroll-qr")))
	shown := text(t, ctx, "#enroll-code")
	assert.True(t, provisioning.IsCode(shown), shown)
	pageShot(t, ctx, "console-phone-enroll-it")
	if os.Getenv("BEDSIDE_E2E_SHOTS") != "" { // the printed page, for people to look at
		c, cancel := context.WithTimeout(ctx, wait)
		_, err := chromedp.Call(c, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		cancel()
		require.NoError(t, err)
		pageShot(t, ctx, "console-phone-enroll-print")
		c, cancel = context.WithTimeout(ctx, wait)
		_, err = chromedp.Call(c, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		cancel()
		require.NoError(t, err)
	}
	do(t, ctx, chromedp.Navigate(w.url+"/console/contacts/"+s.contact.ID), chromedp.WaitVisible(css("#new-link-form")),
		chromedp.Click(css("#new-link-button")), chromedp.WaitVisible(css("#link-url")))
	msg := eval[string](t, ctx, `document.getElementById('link-message').value`)
	assert.Contains(t, msg, "Ciao Lucia", "the message is in the contact's language")
	pageShot(t, ctx, "console-phone-link-it")

	// The same at a desk, in English.
	do(t, ctx, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(w.url+"/console/lang?l=en&next="+url.QueryEscape("/console/beds/"+s.bed.ID)),
		chromedp.WaitVisible(css("#contacts")))
	pageShot(t, ctx, "console-desk-bed-en")
	do(t, ctx, chromedp.Navigate(w.url+"/console/wards/"+s.ward.ID), chromedp.WaitVisible(css("#tablets")))
	pageShot(t, ctx, "console-desk-ward-en")
}
