package e2e

import "bedside/internal/testkit"

// wait bounds every blocking step of these tests and benchmarks (a browser action, a dial), so
// that a broken piece fails them instead of hanging them. It is a guard, never a timing
// assertion. Waiting for a condition goes through testkit.Eventually.
const wait = testkit.Guard
