package server

import (
	"sync"
	"time"
)

// maxBuckets bounds the limiter's memory: past it, full (idle) buckets are forgotten.
const maxBuckets = 10000

// limiter is a token bucket per key (a remote address).
type limiter struct {
	rate  float64 // tokens per second; negative: unlimited
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(l, def RateLimit, now func() time.Time) *limiter {
	if l.PerMinute == 0 {
		l.PerMinute = def.PerMinute
	}
	if l.Burst <= 0 {
		l.Burst = def.Burst
	}
	return &limiter{rate: l.PerMinute / 60, burst: float64(l.Burst), now: now, buckets: make(map[string]*bucket)}
}

// allow takes a token for key and reports whether there was one.
func (l *limiter) allow(key string) bool {
	if l.rate < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refillLocked(key)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// exhausted reports whether key has no token left, without taking one.
func (l *limiter) exhausted(key string) bool {
	if l.rate < 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refillLocked(key).tokens < 1
}

func (l *limiter) refillLocked(key string) *bucket {
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.pruneLocked(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
		return b
	}
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(l.burst, b.tokens+d*l.rate)
		b.last = now
	}
	return b
}

// pruneLocked forgets the buckets that have refilled: they behave like new ones.
func (l *limiter) pruneLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
