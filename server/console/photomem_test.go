package console

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJPEGSamples(t *testing.T) {
	var baseline bytes.Buffer
	assert.NoError(t, jpeg.Encode(&baseline, image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420), nil))
	var gray bytes.Buffer
	assert.NoError(t, jpeg.Encode(&gray, image.NewGray(image.Rect(0, 0, 64, 64)), nil))
	progressive444 := []byte{0xff, 0xd8, 0xff, 0xc2, 0, 17, 8, 0, 16, 0, 16, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1}
	tests := []struct {
		name        string
		data        []byte
		quarters    int
		progressive bool
	}{
		{"baseline 4:2:0", baseline.Bytes(), 6, false},
		{"grey", gray.Bytes(), 4, false},
		{"progressive 4:4:4", progressive444, 12, true},
		{"no frame header", []byte{0xff, 0xd8, 0xff, 0xda, 0, 2}, 16, true},
		{"truncated", progressive444[:12], 16, true},
	}
	for _, tt := range tests {
		q, p := jpegSamples(tt.data)
		assert.Equal(t, tt.quarters, q, tt.name)
		assert.Equal(t, tt.progressive, p, tt.name)
	}
}
