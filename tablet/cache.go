package tablet

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"bedside/call/signal"
	"bedside/provisioning"
)

// photoFetchLimit bounds one round of photo downloads.
const photoFetchLimit = time.Minute

// cacheConfig is what newConfigCache needs.
type cacheConfig struct {
	Store  *provisioning.DeviceStore
	HTTP   *http.Client
	Server string // the ward server's base URL, for its photos
	// Signer signs the photo requests as the tablet (the server serves a patient's photos to
	// the bed's tablet only); nil sends them unsigned.
	Signer provisioning.PhotoSigner
	Logger *slog.Logger
	// OnPhotos runs on the cache's goroutine after new photos were cached.
	OnPhotos func()
}

// cacheJob is what the cache has still to do: wipe the patient's data (a discharge), then
// keep cfg (nil: nothing).
type cacheJob struct {
	wipe bool
	cfg  *signal.Config
}

// merge puts a newer configuration after j: the newer one replaces any older one still
// waiting (each is whole), but a pending wipe is never dropped.
func (j cacheJob) merge(cfg signal.Config) cacheJob {
	if cfg.Patient == "" {
		return cacheJob{wipe: true}
	}
	return cacheJob{wipe: j.wipe, cfg: &cfg}
}

// configCache is the one goroutine that writes the patient's data on the device: it keeps each
// configuration the server sends and fetches its contact photos, and wipes everything
// patient-specific when the bed has no patient any more (discharge), one job after the other.
// A newer configuration cancels a photo fetch under way; the wipe runs only once that fetch
// has returned, so nothing of a discharged patient is written after the wipe. Stop waits for
// the goroutine, a pending wipe included.
type configCache struct {
	cfg  cacheConfig
	in   chan signal.Config // unbuffered: Put hands its configuration to the loop itself
	quit chan struct{}
	done chan struct{}
}

func newConfigCache(cfg cacheConfig) *configCache {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &configCache{cfg: cfg, in: make(chan signal.Config), quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// Put hands the cache a configuration from the server. It returns as soon as the loop has it
// (the loop takes configurations even while it fetches photos), or at once after Stop.
func (c *configCache) Put(cfg signal.Config) {
	select {
	case c.in <- cfg:
	case <-c.done:
	}
}

// Stop ends the cache: a photo fetch under way is cancelled, a wipe still pending is done, and
// Stop returns once nothing more can be written. A configuration still waiting is not kept (the
// server sends it again on the next connection).
func (c *configCache) Stop() {
	select {
	case <-c.quit:
	default:
		close(c.quit)
	}
	<-c.done
}

func (c *configCache) loop() {
	defer close(c.done)
	var next cacheJob
	for {
		if !next.wipe && next.cfg == nil {
			select {
			case cfg := <-c.in:
				next = next.merge(cfg)
			case <-c.quit:
				return
			}
			continue
		}
		job := next
		next = cacheJob{}
		if job.wipe {
			if err := c.cfg.Store.Wipe(); err != nil {
				c.cfg.Logger.Warn("cannot wipe the patient's data", "err", err)
			}
		}
		if job.cfg == nil {
			continue
		}
		var stopped bool
		next, stopped = c.keep(*job.cfg)
		if stopped {
			if next.wipe {
				if err := c.cfg.Store.Wipe(); err != nil {
					c.cfg.Logger.Warn("cannot wipe the patient's data", "err", err)
				}
			}
			return
		}
	}
}

// keep saves cfg and fetches the photos it lacks. While the fetch runs the loop goes on taking
// configurations: a newer one cancels the fetch, and keep returns it as the next job once the
// fetch has returned. stopped says that Stop was called.
func (c *configCache) keep(cfg signal.Config) (next cacheJob, stopped bool) {
	if err := c.cfg.Store.SaveConfig(cfg); err != nil {
		c.cfg.Logger.Warn("cannot cache the configuration", "err", err)
	}
	if !c.missingPhotos(cfg) {
		c.prune(cfg)
		return cacheJob{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), photoFetchLimit)
	defer cancel()
	fetched := make(chan error, 1)
	go func() { fetched <- c.cfg.Store.FetchPhotos(ctx, c.cfg.HTTP, c.cfg.Server, c.cfg.Signer, cfg) }()
	quit := c.quit
	for {
		select {
		case err := <-fetched:
			if next.wipe || next.cfg != nil || stopped {
				return next, stopped // cancelled: whatever came next decides
			}
			if err != nil {
				c.cfg.Logger.Warn("some contact photos could not be fetched", "err", err)
			}
			c.prune(cfg)
			if c.cfg.OnPhotos != nil {
				c.cfg.OnPhotos()
			}
			return cacheJob{}, false
		case newer := <-c.in:
			next = next.merge(newer)
			cancel()
		case <-quit:
			stopped, quit = true, nil
			cancel()
		}
	}
}

// prune removes the photos of contacts cfg no longer has.
func (c *configCache) prune(cfg signal.Config) {
	if err := c.cfg.Store.PrunePhotos(cfg); err != nil {
		c.cfg.Logger.Warn("cannot remove unused contact photos", "err", err)
	}
}

// missingPhotos reports whether some contact's photo is not cached yet.
func (c *configCache) missingPhotos(cfg signal.Config) bool {
	for _, ct := range cfg.Contacts {
		if ct.Photo != "" {
			if _, err := c.cfg.Store.Photo(ct.Photo); err != nil {
				return true
			}
		}
	}
	return false
}
