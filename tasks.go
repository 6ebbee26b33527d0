package ghl

import (
	"context"
	"net/http"
	"time"
)

// Task is a to-do on a contact.
type Task struct {
	ID         string `json:"id"`
	ContactID  string `json:"contactId,omitempty"`
	Title      string `json:"title,omitempty"`
	Body       string `json:"body,omitempty"`
	AssignedTo string `json:"assignedTo,omitempty"` // user ID
	DueDate    Time   `json:"dueDate,omitzero"`
	Completed  bool   `json:"completed"`
}

// CreateTaskRequest is the body of Tasks.Create. Title and DueDate are required.
type CreateTaskRequest struct {
	Title      string
	Body       string
	DueDate    time.Time
	Completed  bool
	AssignedTo string // user ID
}

// UpdateTaskRequest is the body of Tasks.Update; nil fields are left as they are.
type UpdateTaskRequest struct {
	Title      *string
	Body       *string
	DueDate    *time.Time
	Completed  *bool
	AssignedTo *string
}

// taskBody is the wire form of both requests: due dates go out as ISO 8601 UTC.
type taskBody struct {
	Title      *string `json:"title,omitempty"`
	Body       *string `json:"body,omitempty"`
	DueDate    *string `json:"dueDate,omitempty"`
	Completed  *bool   `json:"completed,omitempty"`
	AssignedTo *string `json:"assignedTo,omitempty"`
}

func isoUTC(t time.Time) *string {
	s := t.UTC().Format("2006-01-02T15:04:05Z")
	return &s
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// TasksService covers a contact's tasks under /contacts/{contactId}/tasks.
type TasksService struct{ c *Client }

type taskResult struct {
	Task Task `json:"task"`
}

// List returns every task of a contact. GET /contacts/{contactId}/tasks
// (contacts.readonly).
func (s *TasksService) List(ctx context.Context, contactID string, opts ...CallOption) ([]Task, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	var out struct {
		Tasks []Task `json:"tasks"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/" + contactID + "/tasks", retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Tasks, nil
}

// Get returns one task. GET /contacts/{contactId}/tasks/{taskId} (contacts.readonly).
func (s *TasksService) Get(ctx context.Context, contactID, taskID string, opts ...CallOption) (*Task, error) {
	p, err := taskPath(contactID, taskID)
	if err != nil {
		return nil, err
	}
	var out taskResult
	if err := s.c.do(ctx, op{method: http.MethodGet, path: p, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Task, nil
}

// Create adds a task to a contact. POST /contacts/{contactId}/tasks
// (contacts.write). Never sent twice once it may have reached HighLevel.
func (s *TasksService) Create(ctx context.Context, contactID string, req CreateTaskRequest, opts ...CallOption) (*Task, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	if req.Title == "" {
		return nil, invalid("title", "is required")
	}
	if req.DueDate.IsZero() {
		return nil, invalid("dueDate", "is required")
	}
	body := taskBody{Title: &req.Title, Body: nonEmpty(req.Body), DueDate: isoUTC(req.DueDate),
		Completed: &req.Completed, AssignedTo: nonEmpty(req.AssignedTo)}
	var out taskResult
	if err := s.c.do(ctx, op{method: http.MethodPost, path: "/contacts/" + contactID + "/tasks", body: &body}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Task, nil
}

// Update changes the fields set in req. PUT /contacts/{contactId}/tasks/{taskId}
// (contacts.write).
func (s *TasksService) Update(ctx context.Context, contactID, taskID string, req UpdateTaskRequest, opts ...CallOption) (*Task, error) {
	p, err := taskPath(contactID, taskID)
	if err != nil {
		return nil, err
	}
	if req.Title != nil && *req.Title == "" {
		return nil, invalid("title", "must not be set to empty")
	}
	body := taskBody{Title: req.Title, Body: req.Body, Completed: req.Completed, AssignedTo: req.AssignedTo}
	if req.DueDate != nil {
		if req.DueDate.IsZero() {
			return nil, invalid("dueDate", "must not be the zero time")
		}
		body.DueDate = isoUTC(*req.DueDate)
	}
	var out taskResult
	if err := s.c.do(ctx, op{method: http.MethodPut, path: p, body: &body, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Task, nil
}

// Complete marks a task done (or not done). PUT
// /contacts/{contactId}/tasks/{taskId}/completed (contacts.write).
func (s *TasksService) Complete(ctx context.Context, contactID, taskID string, done bool, opts ...CallOption) (*Task, error) {
	p, err := taskPath(contactID, taskID)
	if err != nil {
		return nil, err
	}
	body := struct {
		Completed bool `json:"completed"`
	}{done}
	var out taskResult
	if err := s.c.do(ctx, op{method: http.MethodPut, path: p + "/completed", body: &body, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Task, nil
}

// Delete deletes a task. DELETE /contacts/{contactId}/tasks/{taskId} (contacts.write).
func (s *TasksService) Delete(ctx context.Context, contactID, taskID string, opts ...CallOption) error {
	p, err := taskPath(contactID, taskID)
	if err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: p, retryable: true}, opts)
}

func taskPath(contactID, taskID string) (string, error) {
	if err := checkID("contactId", contactID); err != nil {
		return "", err
	}
	if err := checkID("taskId", taskID); err != nil {
		return "", err
	}
	return "/contacts/" + contactID + "/tasks/" + taskID, nil
}

// TaskSearchRequest is the body of Tasks.Search (TaskSearchParamsDto).
type TaskSearchRequest struct {
	LocationID string   `json:"-"`                    // default: the client's location
	ContactIDs []string `json:"contactId,omitempty"`  // tasks of these contacts
	Completed  *bool    `json:"completed,omitempty"`  // done, or open
	AssignedTo []string `json:"assignedTo,omitempty"` // user IDs
	Query      string   `json:"query,omitempty"`      // words of the title
	Limit      int      `json:"limit,omitempty"`      // page size (HighLevel's default 25)
	Skip       int      `json:"skip,omitempty"`       // tasks to skip
}

// Search finds tasks across a location, whichever contact they are on.
// POST /locations/{locationId}/tasks/search (locations/tasks.readonly).
//
// The spec declares the answer as {"tasks": [...]} without describing the
// items; each is read as a Task, its ID from "id" or "_id" (unverified
// against HighLevel).
func (s *TasksService) Search(ctx context.Context, req TaskSearchRequest, opts ...CallOption) ([]Task, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Skip < 0 {
		return nil, invalid("limit", "limit and skip must not be negative")
	}
	for _, id := range req.ContactIDs {
		if err := checkID("contactId", id); err != nil {
			return nil, err
		}
	}
	var out struct {
		Tasks []struct {
			Task
			MongoID string `json:"_id"`
		} `json:"tasks"`
	}
	o := op{method: http.MethodPost, path: "/locations/" + loc + "/tasks/search", body: &req, location: loc, retryable: true}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	tasks := make([]Task, len(out.Tasks))
	for i, t := range out.Tasks {
		tasks[i] = t.Task
		if tasks[i].ID == "" {
			tasks[i].ID = t.MongoID
		}
	}
	return tasks, nil
}
