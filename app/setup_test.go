package app_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
)

func unpaired(c *app.Config) {
	c.Paired = false
	c.Phone = nil
	c.Patient = app.Patient{}
}

func TestSetupPairsWithTypedCode(t *testing.T) {
	r := newRig(t, unpaired)
	require.Equal(t, "setup", r.k.Screen())
	r.requireShows("Welcome to Bedside")
	r.tap("Type a code")

	e := r.entry()
	test.Type(e, "abcd-2345")
	assert.Equal(t, "ABCD2345", e.Text, "the code is normalized as it is typed")
	r.tap("Pair")
	r.waitFor("paired", func() bool { return r.shows("Paired to Ward 3, bed 12") })
	r.advance(2 * time.Second)
	r.waitScreen("home")
	assert.Equal(t, []string{"ABCD2345"}, r.pair.Tried())
}

func TestSetupKeypadAndErrors(t *testing.T) {
	r := newRig(t, unpaired)
	r.tap("Type a code")
	for _, key := range []string{"E", "X", "P", "D", "2", "3", "4"} {
		r.tap(key)
	}
	r.tap("Pair")
	r.requireShows("The code has 8 characters")
	r.tap("5")
	r.tap("9") // a ninth key is ignored
	assert.Equal(t, "EXPD2345", r.entry().Text)
	r.tap("Pair")
	r.waitFor("expired", func() bool { return r.shows("That code has expired") })
	require.Equal(t, "setup", r.k.Screen())

	r.tap("Clear")
	assert.Empty(t, r.entry().Text)
	test.Type(r.entry(), "USED2345")
	r.tap("Pair")
	r.waitFor("used", func() bool { return r.shows("already used") })

	r.tap("Clear")
	test.Type(r.entry(), "ZZZZ2345")
	r.tap("Pair")
	r.waitFor("invalid", func() bool { return r.shows("That code is not known") })
	require.Equal(t, "setup", r.k.Screen())
}
