package ghltest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// A test starts a server, seeds it, and gets a client wired to it.
func ExampleNewServer() {
	srv := ghltest.NewServer(ghltest.WithContacts(25))
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		panic(err)
	}
	res, err := client.Contacts.Search(context.Background(), ghl.SearchRequest{PageLimit: 10})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Total, len(res.Contacts))
	// Output: 25 10
}

// Inject makes the next matching requests fail, to test error handling.
func ExampleServer_Inject() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 503, Body: `{"statusCode":503,"message":"maintenance"}`})
	_, err := client.Contacts.Create(context.Background(), ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")})
	var apiErr *ghl.APIError
	fmt.Println(errors.As(err, &apiErr), apiErr.StatusCode, srv.RequestCount("POST", "/contacts/"))
	// Output: true 503 1
}
