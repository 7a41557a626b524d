package app

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
)

// Golden images of the small custom widgets, under the test theme. A changed rendering is
// written to testdata/failed/; copy it over the master when the change is intended.

func TestTileGolden(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	photo := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 7)
	}
	for _, tc := range []struct {
		file string
		c    Contact
	}{
		{"tile_initials.png", Contact{ID: "c1", Name: "Anna Rossi", Relation: "Daughter", Online: true}},
		{"tile_photo_offline.png", Contact{ID: "c2", Name: "Marco", Relation: "Son", Photo: photo}},
		{"tile_long_name.png", Contact{ID: "c3", Name: "Alessandra Maria Bianchi", Relation: "Granddaughter", Online: true}},
	} {
		w := test.NewTempWindow(t, NewTile(tc.c, nil))
		w.SetPadded(false)
		w.Resize(fyne.NewSize(200, 260))
		test.AssertRendersToImage(t, tc.file, w.Canvas(), tc.c.Name)
	}
}

func TestBigButtonGolden(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	b := NewBigButton("Answer", icon("call"), colAnswer, nil)
	w := test.NewTempWindow(t, b)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(260, 100))
	test.AssertRendersToImage(t, "bigbutton.png", w.Canvas())
	b.Disable()
	test.AssertRendersToImage(t, "bigbutton_disabled.png", w.Canvas())
}

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{
		"Anna": "A", "Marco Rossi": "MR", "  élodie  du pont ": "ÉD", "": "?", "Anna Maria Rossi": "AM",
		"(Nonna)": "N",
	} {
		assert.Equal(t, want, initials(in), in)
	}
	assert.Equal(t, avatarColor("x"), avatarColor("x"))
	assert.IsType(t, color.NRGBA{}, avatarColor("y"))
}

func TestBigButtonTapAndDisable(t *testing.T) {
	test.NewTempApp(t)
	n := 0
	b := NewBigButton("Go", nil, colAnswer, func() { n++ })
	test.Tap(b)
	b.Disable()
	test.Tap(b)
	b.Enable()
	test.Tap(b)
	assert.Equal(t, 2, n)
}
