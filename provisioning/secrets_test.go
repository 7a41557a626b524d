package provisioning

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewEnrollmentSecretsFormat(t *testing.T) {
	seenTok := map[string]bool{}
	seenCode := map[string]bool{}
	counts := map[rune]int{}
	for i := 0; i < 2000; i++ {
		tok, code, err := NewEnrollmentSecrets(rand.Reader)
		require.NoError(t, err)
		assert.Len(t, tok, TokenLen)
		assert.True(t, IsToken(tok), tok)
		assert.Equal(t, strings.ToUpper(tok), tok)
		assert.Equal(t, tok, NormalizeCode(tok), "normalization must not change a token")
		assert.Len(t, code, CodeLen)
		assert.True(t, IsCode(code), code)
		assert.False(t, strings.ContainsAny(code, "01OIL"), code)
		assert.False(t, seenTok[tok])
		seenTok[tok] = true
		seenCode[code] = true
		for _, r := range code {
			counts[r]++
		}
	}
	// 2000 codes of ~40 bits: a collision would mean a broken generator.
	assert.Len(t, seenCode, 2000)
	// Every alphabet character shows up, none is wildly over-represented (16000 draws, 31
	// symbols: ~516 each).
	assert.Len(t, counts, len(CodeAlphabet))
	for r, n := range counts {
		assert.Greater(t, n, 350, "%c", r)
		assert.Less(t, n, 700, "%c", r)
	}
}

func TestNewEnrollmentSecretsEntropy(t *testing.T) {
	// The token carries all TokenBytes of randomness: different inputs give different tokens
	// and decoding gives the bytes back.
	src := bytes.Repeat([]byte{0xAB}, 64)
	tok, _, err := NewEnrollmentSecrets(bytes.NewReader(src))
	require.NoError(t, err)
	raw, err := tokenEncoding.DecodeString(tok)
	require.NoError(t, err)
	assert.Equal(t, src[:TokenBytes], raw)
	assert.GreaterOrEqual(t, TokenBytes*8, 128)
}

func TestNewEnrollmentSecretsRandomFailure(t *testing.T) {
	_, _, err := NewEnrollmentSecrets(iotest.ErrReader(assert.AnError))
	assert.ErrorIs(t, err, ErrRandom)
	_, _, err = NewEnrollmentSecrets(bytes.NewReader(make([]byte, TokenBytes+3)))
	assert.ErrorIs(t, err, ErrRandom)
}

func TestNormalizeAndHash(t *testing.T) {
	assert.Equal(t, "ABCDEFGH", NormalizeCode(" abcd-efgh "))
	assert.Equal(t, "ABCDEFGH", NormalizeCode("AB CD-EF\tGH"))
	assert.Equal(t, HashSecret("ABCDEFGH"), HashSecret("abcd-efgh"))
	assert.Equal(t, HashSecret("ABCDEFGH"), HashSecret("ab cd ef gh"))
	assert.NotEqual(t, HashSecret("ABCDEFGH"), HashSecret("ABCDEFGJ"))
	assert.Len(t, HashSecret("x"), 32)
	assert.Equal(t, "ABCD-EFGH", FormatCode("abcdefgh"))
	assert.Equal(t, "ABC", FormatCode("abc"))
	assert.True(t, IsCode("abcd-efgh"))
	assert.False(t, IsCode("ABCD-EFG0"))
	assert.False(t, IsCode("ABCDEFG"))
	assert.False(t, IsToken("abc"))
	assert.False(t, IsToken(strings.Repeat("a", TokenLen)), "lower case is not a token")
	assert.False(t, IsToken(strings.Repeat("1", TokenLen)), "1 is not base32")
}
