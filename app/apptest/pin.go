package apptest

import "sync"

// PIN is a fake app.NursePIN. Its PIN is set with Set ("" : none known, the panel stays
// locked); Hold makes every Check wait until Release, as a slow hash does.
type PIN struct {
	mu     sync.Mutex
	pin    string
	held   chan struct{} // nil: Check answers at once
	checks int
}

// NewPIN returns a fake PIN that is pin ("" : none yet).
func NewPIN(pin string) *PIN { return &PIN{pin: pin} }

// Set sets the PIN, as the ward's arriving does.
func (p *PIN) Set(pin string) {
	p.mu.Lock()
	p.pin = pin
	p.mu.Unlock()
}

// Hold makes Check wait until Release.
func (p *PIN) Hold() {
	p.mu.Lock()
	p.held = make(chan struct{})
	p.mu.Unlock()
}

// Release lets every held Check answer, and the next ones at once.
func (p *PIN) Release() {
	p.mu.Lock()
	if p.held != nil {
		close(p.held)
		p.held = nil
	}
	p.mu.Unlock()
}

// Checks returns how many PINs were checked.
func (p *PIN) Checks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checks
}

// Known implements app.NursePIN.
func (p *PIN) Known() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pin != ""
}

// Check implements app.NursePIN.
func (p *PIN) Check(pin string) bool {
	p.mu.Lock()
	p.checks++
	held := p.held
	p.mu.Unlock()
	if held != nil {
		<-held
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pin != "" && pin == p.pin
}
