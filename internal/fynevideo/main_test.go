package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{fps: 30, width: 640, height: 480}, o, "the kiosk's call video by default")

	o, err = parseFlags([]string{"-fps", "15", "-size", "1280x720"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{fps: 15, width: 1280, height: 720}, o)

	for _, args := range [][]string{
		{"-fps", "0"}, {"-fps", "121"}, {"-size", "640"}, {"-size", "8x8"}, {"-size", "640x99999"},
		{"-size", "axb"}, {"extra"}, {"-nope"},
	} {
		_, err := parseFlags(args, io.Discard)
		assert.ErrorIs(t, err, errUsage, "%q", args)
	}
}

func TestPlayerMovesThePicture(t *testing.T) {
	p := newPlayer(64, 48)
	p.draw()
	first := append([]byte(nil), p.frames[0].Pix...)
	p.draw()
	assert.Same(t, p.frames[1], p.img.Image, "each frame goes into the next buffer")
	assert.NotEqual(t, first, p.frames[1].Pix, "the picture moved")
	assert.Equal(t, int64(2), p.drawn.Load())
}
