package ghltest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ghlkit/ghl"
)

// A contact's tasks: /contacts/{contactId}/tasks.

var taskKeys = []string{"title", "body", "dueDate", "completed", "assignedTo"}

type taskInput struct {
	Title      *string `json:"title"`
	Body       *string `json:"body"`
	DueDate    *string `json:"dueDate"`
	Completed  *bool   `json:"completed"`
	AssignedTo *string `json:"assignedTo"`
}

func (in *taskInput) check(create bool) []string {
	var msgs []string
	if create && (in.Title == nil || *in.Title == "") {
		msgs = append(msgs, "title should not be empty")
	}
	if create && in.DueDate == nil {
		msgs = append(msgs, "dueDate should not be empty")
	}
	if in.DueDate != nil {
		if _, ok := ghl.ParseTime(*in.DueDate); !ok {
			msgs = append(msgs, "dueDate must be a valid ISO 8601 date string")
		}
	}
	if create && in.Completed == nil {
		msgs = append(msgs, "completed must be a boolean value")
	}
	return msgs
}

func (in *taskInput) apply(t *ghl.Task) {
	if in.Title != nil {
		t.Title = *in.Title
	}
	if in.Body != nil {
		t.Body = *in.Body
	}
	if in.DueDate != nil {
		t.DueDate, _ = ghl.ParseTime(*in.DueDate)
	}
	if in.Completed != nil {
		t.Completed = *in.Completed
	}
	if in.AssignedTo != nil {
		t.AssignedTo = *in.AssignedTo
	}
}

func createTask(c *call) reply {
	var in taskInput
	if rep, ok := c.decode(&in, taskKeys...); !ok {
		return rep
	}
	if msgs := in.check(true); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	ct, rep, ok := pathContact(c)
	if !ok {
		return rep
	}
	t := &ghl.Task{ID: c.s.newID(), ContactID: ct.ID}
	in.apply(t)
	c.emit("TaskCreate", t)
	return contactTasks.add(ct, t)
}

func updateTask(c *call) reply {
	var in taskInput
	if rep, ok := c.decode(&in, taskKeys...); !ok {
		return rep
	}
	if msgs := in.check(false); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	_, list, i, rep, ok := contactTasks.find(c)
	if !ok {
		return rep
	}
	t := *(*list)[i]
	in.apply(&t)
	return contactTasks.replace(list, i, t)
}

func completeTask(c *call) reply {
	var in struct {
		Completed *bool `json:"completed"`
	}
	if rep, ok := c.decode(&in, "completed"); !ok {
		return rep
	}
	if in.Completed == nil {
		return unprocessable("completed must be a boolean value")
	}
	_, list, i, rep, ok := contactTasks.find(c)
	if !ok {
		return rep
	}
	t := *(*list)[i]
	t.Completed = *in.Completed
	if t.Completed {
		c.emit("TaskComplete", &t)
	}
	return contactTasks.replace(list, i, t)
}

// searchLocationTasks serves POST /locations/{locationId}/tasks/search:
// every task of the location's contacts, filtered, in contact order, each
// with its contactId. The spec leaves the answer's items undescribed;
// ghltest answers Task objects, as the SDK reads them.
func searchLocationTasks(c *call) reply {
	var r struct {
		ContactID  []string `json:"contactId"`
		Completed  *bool    `json:"completed"`
		AssignedTo []string `json:"assignedTo"`
		Query      string   `json:"query"`
		Limit      *float64 `json:"limit"`
		Skip       *float64 `json:"skip"`
		BusinessID string   `json:"businessId"`
	}
	if rep, ok := c.decode(&r, "contactId", "completed", "assignedTo", "query", "limit", "skip", "businessId"); !ok {
		return rep
	}
	limit, skip := 25, 0
	if r.Limit != nil {
		limit = int(*r.Limit)
	}
	if r.Skip != nil {
		skip = int(*r.Skip)
	}
	if limit < 1 || skip < 0 {
		return unprocessable("limit must not be less than 1", "skip must not be less than 0")
	}
	l, rep, ok := c.location(c.params["locationId"])
	if !ok {
		return rep
	}
	query := strings.ToLower(strings.TrimSpace(r.Query))
	out := []ghl.Task{}
	for _, ct := range l.list {
		if len(r.ContactID) > 0 && !slices.Contains(r.ContactID, ct.ID) {
			continue
		}
		for _, t := range ct.tasks {
			switch {
			case r.Completed != nil && t.Completed != *r.Completed,
				len(r.AssignedTo) > 0 && !slices.Contains(r.AssignedTo, t.AssignedTo),
				query != "" && !strings.Contains(strings.ToLower(t.Title), query):
				continue
			}
			task := *t
			task.ContactID = ct.ID
			out = append(out, task)
		}
	}
	out = out[min(skip, len(out)):]
	out = out[:min(limit, len(out))]
	return jsonReply(http.StatusOK, map[string]any{"tasks": out})
}
