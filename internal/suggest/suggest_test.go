package suggest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClosest(t *testing.T) {
	keys := []string{"availabilityZones", "zoneNames", "domain", "alarmEmail", "amiId", "essPool", "backendPool", "deployment"}
	cases := map[string]string{
		"availabilityZone":          "availabilityZones",
		"availabilityzones":         "availabilityZones",
		"domian":                    "domain",
		"alarmEmails":               "alarmEmail",
		"esspool":                   "essPool",
		"essPools":                  "essPool",
		"nonexistent":               "",
		"x":                         "",
		"":                          "",
		"deploy":                    "deployment",
		strings.Repeat("a", 100000): "",
	}
	for word, want := range cases {
		assert.Equal(t, want, Closest(word, keys), "%.40q", word)
	}
	assert.Equal(t, ` (did you mean "domain"?)`, DidYouMean("domian", keys))
	assert.Empty(t, DidYouMean("nonexistent", keys))
}
