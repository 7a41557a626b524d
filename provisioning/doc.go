// Package provisioning pairs a bedside tablet to a ward and bed: the device's own ed25519
// identity, enrollment secrets (a long token for QR codes and a short code for typing), the QR
// payload that carries the server URL, token, certificate pin and Wi-Fi settings, QR rendering
// and scanning from camera frames, the enrollment client, and the device's cached configuration.
//
// Flow 1, the tablet scans: the server issues a token (NewEnrollmentSecrets), stores
// HashSecret(token), and shows EncodePayload(...) as a QR code (RenderQR). The tablet scans a
// camera frame (ScanQR), parses it (ParsePayload), and trades the token for a device id (Enroll).
//
// Flow 2, the nurse scans: a tablet without a camera shows PairingRequestURL as a QR code; a
// nurse's phone opens it on the console. Flow 3: the nurse types the short code on the tablet.
package provisioning
