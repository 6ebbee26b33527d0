package ghltest

import (
	"net/http"

	"github.com/ghlkit/ghl"
)

// A contact's followers, campaigns and workflows.

func addFollowers(c *call) reply { return changeFollowers(c, true) }

func removeFollowers(c *call) reply { return changeFollowers(c, false) }

func changeFollowers(c *call, add bool) reply {
	var r struct {
		Followers []string `json:"followers"`
	}
	if rep, ok := c.decode(&r, "followers"); !ok {
		return rep
	}
	if len(r.Followers) == 0 {
		return unprocessable("followers should not be empty")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	if add {
		all, added := union(ct.Followers, r.Followers)
		ct.Followers = all
		return jsonReply(http.StatusCreated, map[string]any{"followers": all, "followersAdded": nonNil(added)})
	}
	rest, removed := minus(ct.Followers, r.Followers)
	ct.Followers = rest
	return jsonReply(http.StatusOK, map[string]any{"followers": rest, "followersRemoved": nonNil(removed)})
}

func addCampaign(c *call) reply {
	var r struct{}
	if rep, ok := c.decode(&r); !ok {
		return rep
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	ct.campaigns[c.params["campaignId"]] = true
	return succeeded(http.StatusCreated)
}

func removeCampaign(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	delete(ct.campaigns, c.params["campaignId"])
	return succeeded(http.StatusOK)
}

func removeAllCampaigns(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
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
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
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
