module github.com/ghlkit/ghl/cmd/ghlctl

go 1.25.0

require (
	github.com/ghlkit/ghl v0.0.0
	github.com/ghlkit/ghl/boltstate v0.0.0
	github.com/ghlkit/ghl/pgstate v0.0.0
	github.com/jackc/pgx/v5 v5.12.0
	github.com/spf13/cobra v1.10.2
)

require (
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

replace (
	github.com/ghlkit/ghl => ../..
	github.com/ghlkit/ghl/boltstate => ../../boltstate
	github.com/ghlkit/ghl/pgstate => ../../pgstate
)
