package pgstate_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/pgstate"
)

// Each replica of an app runs this: its engine on the state the replicas
// share in Postgres. One of them pulls at a time; webhooks may reach any
// (engine.Handle); all of them push. (It needs a Postgres server, so it is
// compiled, not run; TestThreeReplicasOnePostgres runs three.)
func ExampleOpen() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	locationID := os.Getenv("GHL_LOCATION_ID")
	st, err := pgstate.Open(ctx, pool, locationID) // creates or migrates the tables
	if err != nil {
		log.Fatal(err)
	}
	client, err := ghl.NewClient(ghl.WithToken(os.Getenv("GHL_TOKEN")), ghl.WithLocation(locationID))
	if err != nil {
		log.Fatal(err)
	}
	host, _ := os.Hostname()
	var app ghlsync.App // your app's people
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: st, Replica: host})
	if err != nil {
		log.Fatal(err)
	}
	_ = engine.Run(ctx, 10*time.Second)
}
