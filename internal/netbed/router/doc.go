// Package router is the packet impairer of the network testbed (internal/netbed): it reads the
// IPv4 packets that the router namespace's kernel routes into a TUN device, passes each through
// the impairments of the link it leaves and of the link it enters (loss, delay and jitter, a rate
// limit with a bounded tail-drop queue, a cut, UDP blocked), and writes it back into the TUN, from
// where the kernel routes it on to its destination.
//
// Why a TUN and not raw frames on the veths: the kernel keeps doing ARP, routing, checksums and
// segmentation (a TUN without offloads receives finished IPv4 packets), so this package only
// sees, delays and drops whole packets. Each direction of each link is a stage: one goroutine
// owns its settings, queue and counters, and receives packets, settings and stats requests as
// messages.
package router
