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

// task finds the path's task. Callers hold s.mu.
func (c *call) task() (*contact, int, reply, bool) {
	_, ct, rep, ok := c.contact()
	if !ok {
		return nil, 0, rep, false
	}
	i := slices.IndexFunc(ct.tasks, func(t *ghl.Task) bool { return t.ID == c.params["taskId"] })
	if i < 0 {
		return nil, 0, errReply(http.StatusNotFound, "Task not found"), false
	}
	return ct, i, reply{}, true
}

func taskReply(status int, t *ghl.Task) reply {
	return jsonReply(status, map[string]any{"task": *t})
}

func listTasks(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	out := make([]ghl.Task, 0, len(ct.tasks))
	for _, t := range ct.tasks {
		out = append(out, *t)
	}
	return jsonReply(http.StatusOK, map[string]any{"tasks": out})
}

func getTask(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.task()
	if !ok {
		return rep
	}
	return taskReply(http.StatusOK, ct.tasks[i])
}

func createTask(c *call) reply {
	var in taskInput
	if rep, ok := c.decode(&in, taskKeys...); !ok {
		return rep
	}
	if msgs := in.check(true); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	t := &ghl.Task{ID: c.s.newID(), ContactID: ct.ID}
	in.apply(t)
	ct.tasks = append(ct.tasks, t)
	c.emit("TaskCreate", t)
	return taskReply(http.StatusCreated, t)
}

func updateTask(c *call) reply {
	var in taskInput
	if rep, ok := c.decode(&in, taskKeys...); !ok {
		return rep
	}
	if msgs := in.check(false); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.task()
	if !ok {
		return rep
	}
	t := *ct.tasks[i]
	in.apply(&t)
	ct.tasks[i] = &t
	return taskReply(http.StatusOK, &t)
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
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.task()
	if !ok {
		return rep
	}
	t := *ct.tasks[i]
	t.Completed = *in.Completed
	ct.tasks[i] = &t
	if t.Completed {
		c.emit("TaskComplete", &t)
	}
	return taskReply(http.StatusOK, &t)
}

func deleteTask(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.task()
	if !ok {
		return rep
	}
	c.emit("TaskDelete", ct.tasks[i])
	ct.tasks = slices.Delete(slices.Clone(ct.tasks), i, i+1)
	return succeeded(http.StatusOK)
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
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
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
