package call

import "github.com/pion/ice/v4"

// mdnsMode is how ICE uses multicast DNS (RFC 6762, 224.0.0.251:5353) for opts.
//
// Browsers hide their host addresses behind random "….local" names unless the page may use
// the camera (Chromium) or always (Firefox's default): on a ward's network, where the family
// member is on the same Wi-Fi as the tablet, that host candidate is the direct path, so the
// engine resolves such names by asking on the local network (query only).
//
// It does not hide its own host addresses behind a name (query and gather): browsers do that
// so that a web page cannot read the visitor's address without asking, and the tablet has no
// such page; its candidates go only to the other end of its own call, through the ward. A
// name also only resolves on the same network segment (hospital Wi-Fi often isolates clients
// or splits floors into VLANs, and drops multicast), where a plain address can still be
// reached through a router; and answering for a name would multicast on every call.
//
// Tests that gather on loopback only, or on pion's virtual network (which has no multicast),
// leave it off: there is nothing to resolve there, and nothing should be multicast on the
// machine's network by a test outside a namespace of its own.
func mdnsMode(opts APIOptions) ice.MulticastDNSMode {
	if opts.LoopbackOnly || opts.NoMDNS || opts.Net != nil {
		return ice.MulticastDNSModeDisabled
	}
	return ice.MulticastDNSModeQueryOnly
}
