// Package suggest finds the known word a misspelt one was most likely meant to be, for error messages
// such as `unknown key "availabilityZone": did you mean "availabilityZones"?`.
package suggest

import (
	"strconv"
	"strings"
)

// Closest returns the candidate closest to word: the one fewest single-character edits away, case
// ignored, if that is few enough for a typo (a third of the word's length, at least 2), or one that
// differs only by a prefix or a suffix (a missing "s", a missing namespace). It returns "" when no
// candidate is close; among equally close candidates it returns the first.
func Closest(word string, candidates []string) string {
	if len(word) > maxCompared {
		return "" // no key is that long
	}
	w := strings.ToLower(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(w, lc)
		if d > max(2, len(w)/3) && !(len(w) >= 4 && (strings.HasPrefix(lc, w) || strings.HasPrefix(w, lc) || strings.HasSuffix(lc, w))) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean returns ` (did you mean "x"?)` for the candidate closest to word, or "" when none is
// close.
func DidYouMean(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return " (did you mean " + strconv.Quote(c) + "?)"
	}
	return ""
}

// maxCompared bounds the words compared, so that a huge word costs no more than a long one.
const maxCompared = 256

// distance is the Levenshtein distance between a and b (in bytes, each cut to maxCompared).
func distance(a, b string) int {
	if len(a) > maxCompared {
		a = a[:maxCompared]
	}
	if len(b) > maxCompared {
		b = b[:maxCompared]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
