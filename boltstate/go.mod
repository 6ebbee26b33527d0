module github.com/ghlkit/ghl/boltstate

go 1.25.0

require (
	github.com/ghlkit/ghl v0.0.0
	go.etcd.io/bbolt v1.5.0
)

require (
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
)

replace github.com/ghlkit/ghl => ../
