package media

import (
	"testing"

	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenDevicesWithoutCamera runs on machines without a camera (CI): OpenDevices must fail
// cleanly with ErrNoCamera. On a machine with a camera it checks that the camera opens.
func TestOpenDevicesWithoutCamera(t *testing.T) {
	l, err := OpenDevices(DeviceOptions{})
	if err == nil {
		t.Log("this machine has a camera and a microphone")
		require.NoError(t, l.Close())
		return
	}
	t.Logf("OpenDevices: %v", err)
	if hasCamera() {
		assert.ErrorIs(t, err, ErrNoMicrophone)
		return
	}
	assert.ErrorIs(t, err, ErrNoCamera)
	assert.Nil(t, l)
}

// TestOpenDevicesFallbacks checks the options that let a device be missing. Without a camera
// and without a microphone (CI), OpenDevices still fails: there would be nothing real to send.
func TestOpenDevicesFallbacks(t *testing.T) {
	if hasCamera() {
		return // what this checks needs a machine without a camera (CI, this project's machines)
	}
	l, err := OpenDevices(DeviceOptions{AllowNoCamera: true, AllowNoMicrophone: true})
	if err == nil {
		require.NoError(t, l.Close()) // a microphone is there: that is the other case, fine
		return
	}
	assert.ErrorIs(t, err, ErrNoCamera)
	assert.ErrorIs(t, err, ErrNoMicrophone)
}

func TestLocalSources(t *testing.T) {
	l, err := NewTest(TestOptions{Width: 160, Height: 120})
	require.NoError(t, err)
	defer l.Close()
	v, a := l.Sources()
	assert.Equal(t, SourceTestPattern, v)
	assert.Equal(t, SourceTone, a)
}

func TestOpenDevicesBadOptions(t *testing.T) {
	_, err := OpenDevices(DeviceOptions{Width: 641, Height: 480})
	assert.ErrorIs(t, err, ErrBadOptions)
}

func TestChooseCameraMode(t *testing.T) {
	mode := func(w, h int, fps float32, f frame.Format) prop.Media {
		return prop.Media{Video: prop.Video{Width: w, Height: h, FrameRate: fps, FrameFormat: f}}
	}
	modes := []prop.Media{
		mode(1280, 720, 30, frame.FormatMJPEG),
		mode(640, 480, 30, frame.FormatMJPEG),
		mode(640, 480, 30, frame.FormatYUYV),
		mode(640, 480, 15, frame.FormatYUYV),
		mode(320, 240, 30, frame.FormatYUYV),
		mode(640, 480, 30, frame.FormatZ16), // depth: unusable
	}
	got, ok := chooseCameraMode(modes, DeviceOptions{Width: 640, Height: 480, FPS: 30})
	require.True(t, ok)
	assert.Equal(t, mode(640, 480, 30, frame.FormatYUYV), got)

	got, ok = chooseCameraMode(modes[:2], DeviceOptions{Width: 1280, Height: 720, FPS: 30})
	require.True(t, ok)
	assert.Equal(t, 1280, got.Width)

	_, ok = chooseCameraMode(modes[5:], DeviceOptions{Width: 640, Height: 480, FPS: 30})
	assert.False(t, ok)
}
