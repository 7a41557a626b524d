package media

import "fmt"

// checkVideoOptions checks the picture size and frame rate a Local is made with.
func checkVideoOptions(w, h, fps int) error {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > MaxVP8Width || h > MaxVP8Height {
		return fmt.Errorf("%w: picture size %dx%d (even, up to %dx%d)", ErrBadOptions, w, h, MaxVP8Width, MaxVP8Height)
	}
	if fps <= 0 || fps > 60 {
		return fmt.Errorf("%w: frame rate %d (1..60)", ErrBadOptions, fps)
	}
	return nil
}

func errBadTone(hz float64) error {
	return fmt.Errorf("%w: tone of %g Hz (0..%d)", ErrBadOptions, hz, audioRate/2)
}
