package tablet

import (
	"bytes"
	"image"
	_ "image/jpeg" // contact photos
	_ "image/png"

	"bedside/app"
	"bedside/call/signal"
	"bedside/provisioning"
)

// patientFrom converts the server's configuration to what the kiosk shows.
func patientFrom(cfg signal.Config, store *provisioning.DeviceStore) app.Patient {
	p := app.Patient{Name: cfg.Patient, Language: cfg.Language, AutoAnswer: cfg.AutoAnswer,
		Ward: cfg.Ward, Bed: cfg.Bed, VisitingHours: cfg.VisitingHours, GroupCalls: cfg.GroupCalls}
	for _, c := range cfg.Contacts {
		p.Contacts = append(p.Contacts, app.Contact{ID: c.ID, Name: c.Name, Relation: c.Relation,
			Online: c.Online, Photo: photo(store, c.Photo)})
	}
	return p
}

// maxPhotoSide is the longest side of a contact photo the kiosk decodes.
const maxPhotoSide = 2048

// photo decodes a cached contact photo, or returns nil.
func photo(store *provisioning.DeviceStore, hash string) image.Image {
	if hash == "" || store == nil {
		return nil
	}
	data, err := store.Photo(hash)
	if err != nil {
		return nil
	}
	// The server stores photos of at most 512 pixels a side; anything much larger is not one
	// of its photos and is not decoded (a 6000×4000 picture would take 96 MB).
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide {
		return nil
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return img
}
