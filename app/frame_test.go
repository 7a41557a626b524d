package app_test

import (
	"image"
	"image/color"
)

func testFrame() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	return img
}
