package ghl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ghlkit/ghl"
)

// taskOperations are the requests of every TasksService method, as contacts.json
// specifies them, with answers shaped like its examples.
func taskOperations() []opCase {
	due := time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)
	return []opCase{
		{name: "Tasks.List", operation: "get-all-tasks", method: "GET", path: "/contacts/" + contactID + "/tasks",
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return c.Tasks.List(ctx, contactID) },
			answer: `{"tasks":[` + taskJSON + `]}`,
			check:  func(t *testing.T, got any) { assert.Equal(t, due, got.([]ghl.Task)[0].DueDate.Time) }},
		{name: "Tasks.Get", operation: "get-task", method: "GET", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Get(ctx, contactID, "ve9EPM428h8vShlRW1KT")
			},
			answer: `{"task":` + taskJSON + `}`,
			check:  func(t *testing.T, got any) { assert.Equal(t, "Task 1", got.(*ghl.Task).Title) }},
		{name: "Tasks.Create", operation: "create-task", method: "POST", path: "/contacts/" + contactID + "/tasks",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: "Task 1", Body: "Task description", DueDate: due, AssignedTo: "ve9EPM428h8vShlRW1KT"})
			},
			body:   `{"title":"Task 1","body":"Task description","dueDate":"2020-10-25T11:00:00Z","completed":false,"assignedTo":"ve9EPM428h8vShlRW1KT"}`,
			status: 201, answer: `{"task":` + taskJSON + `}`,
			check: func(t *testing.T, got any) { assert.Equal(t, "ve9EPM428h8vShlRW1KT", got.(*ghl.Task).ID) }},
		{name: "Tasks.Update", operation: "update-task", method: "PUT", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Update(ctx, contactID, "ve9EPM428h8vShlRW1KT", ghl.UpdateTaskRequest{Title: ghl.Ptr("Renamed"), DueDate: &due})
			},
			body: `{"title":"Renamed","dueDate":"2020-10-25T11:00:00Z"}`, answer: `{"task":` + taskJSON + `}`},
		{name: "Tasks.Complete", operation: "update-task-completed", method: "PUT", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT/completed",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Complete(ctx, contactID, "ve9EPM428h8vShlRW1KT", true)
			},
			body: `{"completed":true}`, answer: `{"task":{"id":"ve9EPM428h8vShlRW1KT","completed":true}}`,
			check: func(t *testing.T, got any) { assert.True(t, got.(*ghl.Task).Completed) }},
		{name: "Tasks.Delete", operation: "delete-task", method: "DELETE", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Tasks.Delete(ctx, contactID, "ve9EPM428h8vShlRW1KT")
			},
			answer: `{"succeded":true}`},
	}
}

// TestTasksOperations sends every Tasks operation and checks the
// exact request and the decoded answer.
func TestTasksOperations(t *testing.T) { runOperations(t, taskOperations()) }
