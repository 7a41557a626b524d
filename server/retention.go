package server

import (
	"context"
	"time"

	"bedside/server/store"
)

// orphanGrace is how old a photo no contact shows must be before Purge deletes it: a photo
// is stored just before the contact that shows it.
const orphanGrace = time.Hour

// Purge deletes the personal data of the admissions discharged more than Config.Retention
// ago (their contacts, links, photos and the patient's name) and the photos no contact shows;
// call-log rows stay with what statistics need. The server runs it every Config.PurgeEvery.
func (s *Server) Purge(ctx context.Context) (store.PurgeStats, error) {
	now := s.cfg.Now()
	st, err := s.cfg.Store.Purge(ctx, now.Add(-s.cfg.Retention), now.Add(-orphanGrace))
	if err != nil {
		return st, err
	}
	if st != (store.PurgeStats{}) {
		s.log.Info("retention purge", "admissions", st.Patients, "contacts", st.Contacts, "photos", st.Photos)
	}
	return st, nil
}

// schedulePurge runs Purge after d, and then every Config.PurgeEvery until Close.
func (s *Server) schedulePurge(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.purgeTimer = s.cfg.AfterFunc(d, func() {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return
		}
		s.wg.Add(1) // Close waits for a purge under way
		s.mu.Unlock()
		ctx, cancel := storeCtx()
		if _, err := s.Purge(ctx); err != nil {
			s.log.Error("retention purge", "err", err)
		}
		cancel()
		s.wg.Done()
		s.schedulePurge(s.cfg.PurgeEvery)
	})
}
