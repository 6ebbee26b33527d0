package ghltest

import (
	"net/http"

	"github.com/ghlkit/ghl"
)

// A contact's followers, campaigns and workflows.

func addFollowers(c *call) reply { return changeFollowers(c, true) }

func removeFollowers(c *call) reply { return changeFollowers(c, false) }

func changeFollowers(c *call, add bool) reply {
	ct, changed, rep, ok := changeSet(c, "followers", func(ct *contact) *[]string { return (*[]string)(&ct.Followers) }, add)
	if !ok {
		return rep
	}
	if add {
		return jsonReply(status(add), map[string]any{"followers": ct.Followers, "followersAdded": nonNil(changed)})
	}
	return jsonReply(status(add), map[string]any{"followers": ct.Followers, "followersRemoved": nonNil(changed)})
}

func addCampaign(c *call) reply {
	var r struct{}
	if rep, ok := c.decode(&r); !ok {
		return rep
	}
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	ct.campaigns[c.params["campaignId"]] = true
	return succeeded(http.StatusCreated)
}

func removeCampaign(c *call) reply {
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	delete(ct.campaigns, c.params["campaignId"])
	return succeeded(http.StatusOK)
}

func removeAllCampaigns(c *call) reply {
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	clear(ct.campaigns)
	return succeeded(http.StatusOK)
}

func addWorkflow(c *call) reply { return changeWorkflow(c, true) }

func removeWorkflow(c *call) reply { return changeWorkflow(c, false) }

func changeWorkflow(c *call, add bool) reply {
	var r struct {
		EventStartTime string `json:"eventStartTime"`
	}
	if rep, ok := c.decode(&r, "eventStartTime"); !ok {
		return rep
	}
	if r.EventStartTime != "" {
		if _, ok := ghl.ParseTime(r.EventStartTime); !ok {
			return unprocessable("eventStartTime must be a valid ISO 8601 date string")
		}
	}
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	if add {
		ct.workflows[c.params["workflowId"]] = r.EventStartTime
	} else {
		delete(ct.workflows, c.params["workflowId"])
	}
	return succeeded(http.StatusOK)
}
