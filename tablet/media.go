package tablet

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"bedside/app"
	"bedside/call/media"
)

// OpenMedia opens the tablet's picture and sound for the whole run: the camera and microphone
// ("camera"; the test pattern stands in for a missing camera, the synthetic source for
// missing devices), the synthetic source ("test"), or a picture or clip ("file:PATH").
// hasCamera says whether the picture can show the tablet a QR code to scan. Only an unusable
// file is an error.
func OpenMedia(mediaFlag string, log *slog.Logger) (local *media.Local, hasCamera bool, err error) {
	if path, ok := strings.CutPrefix(mediaFlag, "file:"); ok {
		local, err := media.NewFile(path, media.FileOptions{Logger: log})
		if err != nil {
			return nil, false, fmt.Errorf("-media %s: %w", mediaFlag, err)
		}
		return local, true, nil
	}
	if mediaFlag == "camera" {
		local, err := media.OpenDevices(media.DeviceOptions{Logger: log, AllowNoMicrophone: true})
		if err == nil {
			return local, true, nil
		}
		log.Warn("no usable camera; the tablet shows its pairing code, and calls send the test pattern", "err", err)
		if errors.Is(err, media.ErrNoCamera) {
			if local, err := media.OpenDevices(media.DeviceOptions{Logger: log, AllowNoCamera: true}); err == nil {
				return local, false, nil
			}
		}
	}
	local, err = media.NewTest(media.TestOptions{Logger: log})
	if err != nil {
		log.Error("no media at all; calls will be receive-only", "err", err)
		return nil, false, nil
	}
	return local, false, nil
}

// Camera is the setup screen's camera, when the tablet's picture can show it a QR code; nil
// otherwise (the setup screen then shows the tablet's own pairing code).
func Camera(has bool, local *media.Local) app.Camera {
	if !has || local == nil {
		return nil
	}
	return cameraPreview{local}
}

// cameraPreview is the setup screen's camera: the Local's preview, which keeps the camera
// capturing while the screen scans (and lets it close when the screen goes).
type cameraPreview struct{ local *media.Local }

// Preview implements app.Camera.
func (c cameraPreview) Preview(sink app.VideoSink) {
	if sink == nil {
		c.local.SetPreview(nil)
		return
	}
	c.local.SetPreview(sink)
}
