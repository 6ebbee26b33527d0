module github.com/ghlkit/ghl/examples/oauth

go 1.25.0

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/ghlkit/ghl v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
)

replace github.com/ghlkit/ghl => ../..
