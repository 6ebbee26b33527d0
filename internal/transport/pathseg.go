package transport

import "strings"

// CheckID returns why id cannot be used as one segment of a request path, or
// "" when it can. HighLevel IDs are opaque strings (Firebase IDs, ObjectIds,
// UUIDs), so only what would change the meaning of the URL is refused.
func CheckID(id string) string {
	if id == "" {
		return "must not be empty"
	}
	if reserved[strings.ToLower(id)] {
		return "\"" + id + "\" is a fixed segment of HighLevel's routes, not an ID"
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

// reserved are the fixed path segments that stand where an ID does on a
// sibling route: DELETE /contacts/{id}/campaigns/removeAll beside
// /contacts/{id}/campaigns/{campaignId}, POST /contacts/search and
// /contacts/upsert beside /contacts/{id}, and so on. An "ID" equal to one of
// them would call the other route (removeAll removes the contact from every
// campaign).
var reserved = map[string]bool{"removeall": true, "search": true, "upsert": true, "bulk": true, "business": true,
	"duplicate": true}
