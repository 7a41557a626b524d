package media

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const alsaNullEnv = "BEDSIDE_MEDIA_ALSA_NULL"

// TestAudioDevicesOnALSANull runs the Player and the microphone capture on real miniaudio and
// ALSA, with ALSA's "null" plugin as the default device (it plays nothing and records silence),
// so that the device code runs on machines without a sound card. ALSA reads ~/.asoundrc when it
// first starts, so the test runs itself again in a child process whose HOME holds one.
func TestAudioDevicesOnALSANull(t *testing.T) {
	require.Equal(t, "linux", runtime.GOOS, "Bedside's tablets and tests run on Linux, with ALSA")
	if os.Getenv(alsaNullEnv) == "1" {
		audioDevicesChild(t)
		return
	}
	home := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(home, ".asoundrc"), []byte("pcm.!default {\n\ttype null\n}\n"), 0o600))
	cmd := exec.Command(os.Args[0], "-test.run=^TestAudioDevicesOnALSANull$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "HOME="+home, alsaNullEnv+"=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	require.NoError(t, err, "child output:\n%s", text)
	assert.Contains(t, text, "--- PASS: TestAudioDevicesOnALSANull")
}

func audioDevicesChild(t *testing.T) {
	p, err := NewPlayer()
	require.NoError(t, err, "ALSA's null device (make deps-test installs libasound2)")
	tone := newToneGen(440, 48000)
	pcm := make([]int16, 960)
	for range 10 {
		tone.fill(pcm, 1)
		p.Samples(pcm, 48000, 1)
		time.Sleep(20 * time.Millisecond)
	}
	require.Eventually(t, func() bool { return p.Stats().Played > 0 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, p.Close())

	mic, err := openMicrophone(slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	samples := 0
	for samples < 48000/10 { // 100 ms of silence from the null device
		chunk, err := mic.read()
		require.NoError(t, err)
		samples += len(chunk)
	}
	require.NoError(t, mic.close())
	_, err = mic.read()
	assert.Error(t, err, "a closed microphone reads EOF")

	if hasCamera() {
		return
	}
	// A tablet with a microphone but no camera: the test pattern and the real microphone.
	l, err := OpenDevices(DeviceOptions{Width: 160, Height: 120, AllowNoCamera: true})
	require.NoError(t, err)
	v, a := l.Sources()
	assert.Equal(t, SourceTestPattern, v)
	assert.Equal(t, SourceMicrophone, a)
	require.NoError(t, l.Start(context.Background()))
	bindBoth(l) // after Start: the microphone, paused while idle, starts again
	require.Eventually(t, func() bool {
		s := l.Stats()
		return s.VideoFrames >= 3 && s.AudioPackets >= 5
	}, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, l.Close())
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
