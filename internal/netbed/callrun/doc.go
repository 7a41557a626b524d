// Package callrun places real Bedside calls through the network testbed (internal/netbed): the
// ward server in the server namespace, the demo bed's tablet and a family member as
// bedside-peer processes in theirs, and the router between them impairing the tablet's link as
// a Scenario says. It measures what each end received — frames per second, freezes (more than
// 500 ms without a new frame) and the longest, audio as a percentage of what was sent, how soon
// media came back — with the call's set-up time and how it ended, per phase of the scenario
// and per second. Its tests check the testbed with calls; BenchmarkNetwork prints issue 10's
// table beside a clean call of the same run:
//
//	go test -run '^$' -bench Network ./internal/netbed/callrun              # 40 s per condition
//	go test -run '^$' -bench Network/loss10 ./internal/netbed/callrun -args -netbed.hold=20s
//	go test -run '^$' -bench Network/address-change ./internal/netbed/callrun -args -netbed.logs=/tmp/logs
//
// With -netbed.logs=DIR each process's stderr (the peers at debug level, pion's ICE included)
// and stdout (stats lines, timed) are kept in DIR, one file each, named after the test.
//
// Its tests also run the family page in Chromium and Firefox (internal/browsertest) in the
// family's namespace, in place of the family's bedside-peer: through loss, delay and a cut;
// answering the tablet's call and moving to another network (it asks the tablet to restart);
// on a link too thin for video; and on one LAN segment (NewLANWard, netbed.NewLAN: no router,
// no relay) where Firefox hides its address behind an mDNS name.
//
// It needs root, iproute2, nftables and the Go toolchain (it builds the commands it runs).
package callrun
