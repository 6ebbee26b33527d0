package main

import "testing"

func TestFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{{"-burst", "0"}, {"-contacts", "-1"}, {"-window", "0s"}, {"-nope"}} {
		if err := run(args); err == nil {
			t.Errorf("run(%v) accepted bad flags", args)
		}
	}
}
