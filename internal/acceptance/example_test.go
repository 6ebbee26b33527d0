package acceptance_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/acceptance"
)

// A connector action's failure becomes words for the person who built the
// workflow.
func ExampleMessage() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	k := &acceptance.Connector{Client: client}
	_, err := k.NewTask(context.Background(), "no/such/contact", "Call", time.Now())
	fmt.Println(acceptance.Message(err))
	fmt.Println(acceptance.Message(ghl.ErrReauthRequired))
	// Output:
	// The step's "contactId" field is not valid (must not contain '/'). Check the value mapped to it.
	// The connection to HighLevel has expired. Reconnect your HighLevel account in the connector's settings.
}
