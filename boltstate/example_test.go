package boltstate_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

// An engine whose state lives in a file: stopped and started again, it
// resumes where it was.
func ExampleOpen() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	dir, _ := os.MkdirTemp("", "boltstate-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ghl-sync.db")
	app := exampleApp{"ada": {ID: "ada", Record: ghlsync.Record{}.Set(ghlsync.FieldEmail, "ada@example.com")}}

	for run := 1; run <= 2; run++ {
		st, err := boltstate.Open(path)
		if err != nil {
			log.Fatal(err)
		}
		engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: st})
		if err != nil {
			log.Fatal(err)
		}
		if run == 1 {
			_ = engine.Changed(context.Background(), "ada")
		}
		sum, _ := engine.RunOnce(context.Background())
		fmt.Println("run", sum.Run, "created", sum.Created)
		_ = st.Close()
	}
	fmt.Println("contacts:", srv.ContactCount(ghltest.DefaultLocationID))
	// Output:
	// run 1 created 1
	// run 2 created 0
	// contacts: 1
}

// exampleApp is an app's people.
type exampleApp map[string]ghlsync.Person

func (a exampleApp) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	p, ok := a[id]
	return p, ok, nil
}
func (a exampleApp) SavePerson(_ context.Context, p ghlsync.Person) error { a[p.ID] = p; return nil }
func (a exampleApp) MarkInactive(context.Context, string) error           { return nil }
func (a exampleApp) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}
