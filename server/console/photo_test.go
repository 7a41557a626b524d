package console_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/console"
	"bedside/server/store"
)

// pngBomb is a PNG header declaring w×h pixels, with no pixel data worth the name.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegBomb is a JPEG header declaring w×h pixels.
func jpegBomb(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0x00, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0}
	b = append(b, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0) // start of scan
	return append(b, 0xff, 0xd9)
}

func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{200, 10, 10, uint8(x * 255 / w)})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// withOrientation adds an EXIF APP1 segment with orientation o after the SOI of a JPEG.
func withOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, 0, 0, 0, 0}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xff, 0xe1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestProcessPhoto(t *testing.T) {
	good := testJPEG(t, 1024, 2048)
	tests := []struct {
		name, file, ct string
		data           []byte
		err            error
		w, h           int
	}{
		{"jpeg", "a.jpg", "image/jpeg", good, nil, 256, 512},
		{"jpeg upper-case name", "A.JPEG", "", good, nil, 256, 512},
		{"small png with alpha", "a.png", "image/png", testPNG(t, 100, 50), nil, 100, 50},
		{"sideways phone photo", "a.jpg", "image/jpeg", withOrientation(testJPEG(t, 40, 20), 6), nil, 20, 40},
		{"png bomb", "a.png", "image/png", pngBomb(100000, 100000), console.ErrPhotoPixels, 0, 0},
		{"jpeg bomb", "a.jpg", "image/jpeg", jpegBomb(65000, 65000), console.ErrPhotoPixels, 0, 0},
		{"thin bomb", "a.png", "", pngBomb(30000, 1), console.ErrPhotoPixels, 0, 0},
		{"gif name", "a.gif", "image/gif", good, console.ErrPhotoType, 0, 0},
		{"no name", "", "image/jpeg", good, console.ErrPhotoType, 0, 0},
		{"jpeg named png", "a.png", "image/png", good, console.ErrPhotoType, 0, 0},
		{"jpeg sent as html", "a.jpg", "text/html", good, console.ErrPhotoType, 0, 0},
		{"gif content", "a.jpg", "image/jpeg", []byte("GIF89a\x01\x00\x01\x00"), console.ErrPhotoType, 0, 0},
		{"random bytes", "a.jpg", "image/jpeg", []byte("\xff\xd8\xffrandom junk"), console.ErrPhotoCorrupt, 0, 0},
		{"truncated", "a.jpg", "image/jpeg", good[:len(good)/2], console.ErrPhotoCorrupt, 0, 0},
		{"empty", "a.jpg", "image/jpeg", nil, console.ErrPhotoType, 0, 0},
		{"oversized", "a.jpg", "image/jpeg", append(good, make([]byte, console.MaxPhotoBytes)...), console.ErrPhotoSize, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, hash, err := console.ProcessPhoto(tt.data, tt.file, tt.ct)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Len(t, hash, 64)
			cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
			require.NoError(t, err)
			assert.Equal(t, "jpeg", format)
			assert.Equal(t, tt.w, cfg.Width)
			assert.Equal(t, tt.h, cfg.Height)
		})
	}
}

// TestPhotoKeepsItsLook checks the scaler: a half-black, half-white picture stays so.
func TestPhotoKeepsItsLook(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 2000, 1000))
	for y := 0; y < 1000; y++ {
		for x := 1000; x < 2000; x++ {
			img.Pix[img.PixOffset(x, y)] = 255
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	out, _, err := console.ProcessPhoto(buf.Bytes(), "a.jpg", "")
	require.NoError(t, err)
	got, err := jpeg.Decode(bytes.NewReader(out))
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 512, 256), got.Bounds())
	r, _, _, _ := got.At(100, 128).RGBA()
	assert.Less(t, r>>8, uint32(20))
	r, _, _, _ = got.At(400, 128).RGBA()
	assert.Greater(t, r>>8, uint32(235))
}

// photoEnv is a console with an admin logged in and one contact whose photo uploads go to.
func photoEnv(t testing.TB) (*env, *browser, string) {
	e := newEnv(t, nil)
	w, err := e.st.CreateWard(e.ctx, store.Ward{Name: "W"})
	require.NoError(t, err)
	bed, err := e.st.CreateBed(e.ctx, store.Bed{WardID: w.ID, Name: "1"})
	require.NoError(t, err)
	p, err := e.st.Admit(e.ctx, store.Patient{BedID: bed.ID, FirstName: "Maria"})
	require.NoError(t, err)
	k, err := e.st.CreateContact(e.ctx, store.Contact{PatientID: p.ID, Name: "Anna"})
	require.NoError(t, err)
	pw := e.user(t, "admin", store.RoleAdmin)
	b := e.browser(t)
	b.login("admin", pw)
	return e, b, k.ID
}

func (b *browser) uploadPhoto(contactID, filename, contentType string, data []byte) response {
	ct, body := multipartForm(b.t, url.Values{"csrf": {b.csrf}, "name": {"Anna"}}, filename, contentType, data)
	return b.postRaw("/console/contacts/"+contactID, ct, body)
}

func TestPhotoUploadRefusals(t *testing.T) {
	e, b, contactID := photoEnv(t)
	tests := []struct {
		name, file, ct string
		data           []byte
		status         int
		message        string
	}{
		{"bomb", "a.png", "image/png", pngBomb(100000, 100000), http.StatusUnsupportedMediaType, "too many pixels"},
		{"wrong extension", "a.exe", "application/octet-stream", testJPEG(t, 10, 10), http.StatusUnsupportedMediaType, "must be a JPEG or PNG"},
		{"random", "a.jpg", "image/jpeg", []byte("hello"), http.StatusUnsupportedMediaType, "must be a JPEG or PNG"},
		{"oversized", "a.jpg", "image/jpeg", bytes.Repeat([]byte{0xff}, console.MaxPhotoBytes+100<<10), http.StatusRequestEntityTooLarge, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.uploadPhoto(contactID, tt.file, tt.ct, tt.data)
			assert.Equal(t, tt.status, r.status)
			assert.Contains(t, r.body, tt.message)
			k, err := e.st.Contact(e.ctx, contactID)
			require.NoError(t, err)
			assert.Empty(t, k.PhotoHash, "nothing stored")
		})
	}
	r := b.uploadPhoto(contactID, "a.png", "image/png", testPNG(t, 600, 600))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	k, err := e.st.Contact(e.ctx, contactID)
	require.NoError(t, err)
	assert.NotEmpty(t, k.PhotoHash)
}

// FuzzPhotoUpload sends whatever it is given as a contact photo through the console's upload
// handler: each upload is taken or refused with a 4xx and a message, never a 5xx, and the
// server keeps answering.
func FuzzPhotoUpload(f *testing.F) {
	e, b, contactID := photoEnv(f)
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 2048)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	f.Add(random, "a.jpg", "image/jpeg")
	f.Add(pngBomb(100000, 100000), "bomb.png", "image/png")
	f.Add(jpegBomb(65535, 65535), "bomb.jpg", "image/jpeg")
	f.Add(testJPEG(f, 64, 48), "photo.gif", "image/gif")
	f.Add(testJPEG(f, 64, 48), "photo.png", "image/png")
	f.Add(testJPEG(f, 64, 48), "photo.jpg", "image/jpeg")
	f.Add(testPNG(f, 30, 30), "photo.png", "")
	f.Add(withOrientation(testJPEG(f, 16, 8), 8), "o.jpg", "image/jpeg")
	f.Add(bytes.Repeat([]byte{0xff, 0xd8, 0xff}, console.MaxPhotoBytes/3+10), "big.jpg", "image/jpeg")
	f.Fuzz(func(t *testing.T, data []byte, filename, contentType string) {
		if strings.ContainsAny(filename, "\"\r\n\\") || strings.ContainsAny(contentType, "\r\n") {
			t.Skip("not a header a browser sends")
		}
		b.t = t
		r := b.uploadPhoto(contactID, filename, contentType, data)
		switch r.status {
		case http.StatusSeeOther:
			k, err := e.st.Contact(e.ctx, contactID)
			require.NoError(t, err)
			_, stored, err := e.st.Photo(e.ctx, k.PhotoHash)
			require.NoError(t, err)
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(stored))
			require.NoError(t, err)
			assert.LessOrEqual(t, max(cfg.Width, cfg.Height), console.MaxPhotoSide)
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			assert.Contains(t, r.body, `id="error"`)
		default:
			t.Fatalf("status %d for %d bytes named %q (%q)", r.status, len(data), filename, contentType)
		}
		require.Equal(t, http.StatusOK, b.get("/console/").status)
	})
}

// BenchmarkProcessPhoto measures a 12-megapixel phone photo (4000×3000 JPEG) becoming a
// 512-pixel JPEG.
func BenchmarkProcessPhoto(b *testing.B) {
	data := testJPEG(b, 4000, 3000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := console.ProcessPhoto(data, "photo.jpg", "image/jpeg"); err != nil {
			b.Fatal(err)
		}
	}
}

// allocated runs f and returns the bytes it allocated (garbage included).
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestPhotoDecodeMemory: the largest photo the console accepted, a 24-megapixel 16-bit PNG,
// took 370 MB to process. Its decoded size is now estimated from the header first: it is
// refused before decoding, and the largest photos still accepted take less than 160 MB.
func TestPhotoDecodeMemory(t *testing.T) {
	pngOf := func(img image.Image) []byte {
		var buf bytes.Buffer
		require.NoError(t, (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img))
		return buf.Bytes()
	}
	big16 := image.NewNRGBA64(image.Rect(0, 0, 6000, 4000))
	for i := range big16.Pix {
		big16.Pix[i] = 0x80
	}
	data := pngOf(big16)
	big16 = nil
	var err error
	n := allocated(func() { _, _, err = console.ProcessPhoto(data, "big.png", "image/png") })
	require.ErrorIs(t, err, console.ErrPhotoPixels)
	t.Logf("24 MP 16-bit PNG: refused, %d MB allocated", n>>20)
	require.Less(t, n, uint64(16<<20))

	for _, img := range []image.Image{
		image.NewNRGBA64(image.Rect(0, 0, 4000, 4000)), // 16 MP, 16-bit: the largest of its kind
		image.NewNRGBA(image.Rect(0, 0, 6000, 4000)),   // 24 MP, 8-bit
	} {
		switch m := img.(type) {
		case *image.NRGBA64:
			for i := range m.Pix {
				m.Pix[i] = 0x80
			}
		case *image.NRGBA:
			for i := range m.Pix {
				m.Pix[i] = 0x80
			}
		}
		data := pngOf(img)
		img = nil
		var out []byte
		n := allocated(func() { out, _, err = console.ProcessPhoto(data, "big.png", "image/png") })
		require.NoError(t, err)
		t.Logf("accepted PNG of %d bytes: %d MB allocated", len(data), n>>20)
		require.Less(t, n, uint64(160<<20))
		small, err := jpeg.Decode(bytes.NewReader(out))
		require.NoError(t, err)
		r, g, b, _ := small.At(10, 10).RGBA()
		// Half-transparent mid grey over white.
		require.InDelta(t, 0xc0, r>>8, 3)
		require.InDelta(t, 0xc0, g>>8, 3)
		require.InDelta(t, 0xc0, b>>8, 3)
	}
}

// TestConsolePhotoAfterDischarge: the ward's staff see a contact's photo while the patient is
// admitted, and no longer once discharged.
func TestConsolePhotoAfterDischarge(t *testing.T) {
	e, b, contactID := photoEnv(t)
	r := b.uploadPhoto(contactID, "a.png", "image/png", testPNG(t, 60, 60))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.Equal(t, http.StatusOK, b.get("/console/contacts/"+contactID+"/photo").status)
	k, err := e.st.Contact(e.ctx, contactID)
	require.NoError(t, err)
	require.NoError(t, e.st.Discharge(e.ctx, k.PatientID, e.clock.Now()))
	require.Equal(t, http.StatusNotFound, b.get("/console/contacts/"+contactID+"/photo").status)
}
