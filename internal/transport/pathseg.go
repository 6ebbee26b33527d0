package transport

import "strings"

// CheckID returns why id cannot be used as one segment of a request path, or
// "" when it can. HighLevel IDs are opaque strings (Firebase IDs, ObjectIds,
// UUIDs), so only what would change the meaning of the URL is refused.
func CheckID(id string) string {
	if id == "" {
		return "must not be empty"
	}
	if id == "." || strings.Contains(id, "..") {
		return "must not contain \"..\""
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c == '/':
			return "must not contain '/'"
		case c == '?':
			return "must not contain '?'"
		case c == '#':
			return "must not contain '#'"
		case c == '%':
			return "must not contain '%'"
		case c == '\\':
			return "must not contain '\\'"
		case c == ' ':
			return "must not contain spaces"
		case c < 0x20 || c == 0x7f:
			return "must not contain control characters"
		case c >= 0x80:
			return "must be ASCII"
		}
	}
	return ""
}
