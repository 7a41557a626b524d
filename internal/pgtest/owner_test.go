package pgtest

import (
	"os"
	"syscall"
)

// ownerUID is the uid that owns the file st describes.
func ownerUID(st os.FileInfo) uint32 { return st.Sys().(*syscall.Stat_t).Uid }
