package console

// HasTranslation reports whether lang has its own string for key (for the tests).
func HasTranslation(lang, key string) bool {
	_, ok := messages[lang][key]
	return ok
}
