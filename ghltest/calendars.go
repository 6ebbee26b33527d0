package ghltest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The calendars API (Version 2021-04-15): appointments booked in free
// slots, moved and cancelled, free slots computed from a calendar's working
// hours, calendar events by range, and notes on appointments. Each location
// starts with one calendar (DefaultCalendarID for DefaultLocationID):
// Monday to Friday, 09:00 to 17:00 America/New_York, 30-minute slots.
//
// Where HighLevel documents no answer, ghltest picks one and says so here: a
// booking outside the free slots (without ignoreFreeSlotValidation) is
// refused with 400 and the message "The slot you have selected is no
// longer available."

// DefaultCalendarID is the calendar of DefaultLocationID.
const DefaultCalendarID = "ghltestCalendar00001"

// Calendar is a bookable calendar of ghltest.
type Calendar struct {
	ID         string
	LocationID string
	Timezone   string         // IANA; default America/New_York
	Slot       time.Duration  // default 30 minutes
	Open       int            // first bookable hour, default 9
	Close      int            // hour after the last slot, default 17
	Days       []time.Weekday // default Monday to Friday
}

func (c *Calendar) zone() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// AddCalendar adds a calendar to a location and returns its ID.
func (s *Server) AddCalendar(c Calendar) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCalendar(c)
}

func (s *Server) addCalendar(c Calendar) string {
	if c.ID == "" {
		c.ID = s.newID()
	}
	if c.Timezone == "" {
		c.Timezone = "America/New_York"
	}
	if c.Slot <= 0 {
		c.Slot = 30 * time.Minute
	}
	if c.Open == 0 && c.Close == 0 {
		c.Open, c.Close = 9, 17
	}
	if c.Days == nil {
		c.Days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	if s.calendars == nil {
		s.calendars = map[string]*Calendar{}
	}
	s.calendars[c.ID] = &c
	return c.ID
}

// calTime formats an instant as the calendars API sends it: ISO 8601 with
// the calendar's offset.
func calTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// parseCalTime reads a request time: ISO 8601, with its offset.
func parseCalTime(field, v string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, field + " must be a valid ISO 8601 date string"
	}
	return t, ""
}

// slotFree reports whether [start, end) lies on the calendar's slot grid,
// within its working hours, and clear of other live appointments (except
// skip). Callers hold s.mu.
func (s *Server) slotFree(cal *Calendar, start, end time.Time, skip string) bool {
	loc := cal.zone()
	ls := start.In(loc)
	if !slices.Contains(cal.Days, ls.Weekday()) {
		return false
	}
	open := time.Date(ls.Year(), ls.Month(), ls.Day(), cal.Open, 0, 0, 0, loc)
	closing := time.Date(ls.Year(), ls.Month(), ls.Day(), cal.Close, 0, 0, 0, loc)
	if start.Before(open) || end.After(closing) || start.Sub(open)%cal.Slot != 0 || start.Before(s.now()) {
		return false
	}
	for _, a := range s.appointments {
		if a.ID == skip || a.CalendarID != cal.ID || a.AppointmentStatus == "cancelled" {
			continue
		}
		if start.Before(a.EndTime.Time) && a.StartTime.Before(end) {
			return false
		}
	}
	return true
}

// calendarOf finds a calendar of the token's location. Callers hold s.mu.
func (c *call) calendarOf(id string) (*Calendar, reply, bool) {
	cal := c.s.calendars[id]
	if cal == nil {
		return nil, errReply(http.StatusNotFound, "Calendar not found"), false
	}
	if cal.LocationID != c.tok.location {
		return nil, errReply(http.StatusForbidden, forbidden), false
	}
	return cal, reply{}, true
}

// epochMillis reads an epoch-ms query parameter.
func epochMillis(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return time.Time{}, false
		}
		n = int64(f)
	}
	return time.UnixMilli(n), true
}

func listCalendarEvents(c *call) reply {
	q := c.query
	start, ok1 := epochMillis(q.Get("startTime"))
	end, ok2 := epochMillis(q.Get("endTime"))
	if !ok1 || !ok2 {
		return unprocessable("startTime must be a number string", "endTime must be a number string")
	}
	calID, userID, groupID := q.Get("calendarId"), q.Get("userId"), q.Get("groupId")
	if calID == "" && userID == "" && groupID == "" {
		return errReply(http.StatusBadRequest, "calendarId, userId or groupId is required")
	}
	if _, rep, ok := c.location(q.Get("locationId")); !ok {
		return rep
	}
	var ids []string
	for id, a := range c.s.appointments {
		if a.LocationID != c.tok.location || !a.StartTime.Before(end) || !start.Before(a.EndTime.Time) {
			continue
		}
		if (calID != "" && a.CalendarID != calID) || (userID != "" && a.AssignedUserID != userID) || (groupID != "" && a.GroupID != groupID) {
			continue
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return c.s.appointments[a].StartTime.Compare(c.s.appointments[b].StartTime.Time)
	})
	events := []map[string]any{}
	for _, id := range ids {
		a := c.s.appointments[id]
		cal := c.s.calendars[a.CalendarID]
		if cal == nil {
			cal = &Calendar{Timezone: "UTC"}
		}
		events = append(events, a.wire(cal, true))
	}
	return jsonReply(http.StatusOK, map[string]any{"events": events})
}

func freeSlots(c *call) reply {
	q := c.query
	start, ok1 := epochMillis(q.Get("startDate"))
	end, ok2 := epochMillis(q.Get("endDate"))
	if !ok1 || !ok2 {
		return unprocessable("startDate must be a number", "endDate must be a number")
	}
	cal, rep, ok := c.calendarOf(c.params["calendarId"])
	if !ok {
		return rep
	}
	loc := cal.zone()
	if tz := q.Get("timezone"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return errReply(http.StatusBadRequest, "Invalid timezone")
		}
		loc = l
	}
	// 31 calendar days in the answer's zone (how HighLevel counts them
	// across a change of daylight saving time is not documented; the SDK
	// checks the same).
	if end.After(start.In(loc).AddDate(0, 0, 31)) {
		return errReply(http.StatusBadRequest, "The date range cannot be more than 31 days")
	}
	out := map[string]any{}
	calZone := cal.zone()
	first := start.In(calZone)
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, calZone); day.Before(end); day = day.AddDate(0, 0, 1) {
		for t := time.Date(day.Year(), day.Month(), day.Day(), cal.Open, 0, 0, 0, calZone); t.Add(cal.Slot).Compare(time.Date(day.Year(), day.Month(), day.Day(), cal.Close, 0, 0, 0, calZone)) <= 0; t = t.Add(cal.Slot) {
			if t.Before(start) || !t.Before(end) || !c.s.slotFree(cal, t, t.Add(cal.Slot), "") {
				continue
			}
			key := t.In(loc).Format(time.DateOnly)
			d, _ := out[key].(map[string][]string)
			if d == nil {
				d = map[string][]string{"slots": {}}
			}
			d["slots"] = append(d["slots"], t.In(loc).Format(time.RFC3339))
			out[key] = d
		}
	}
	out["traceId"] = newSecret("trace-")
	return jsonReply(http.StatusOK, out)
}

// wallClock is t's wall clock as a UTC time (how a zone-less time parses).
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}
