// Package acceptance holds the five integrations HighLevel users build,
// each written with the public SDK alone and run end to end against
// ghltest under a matrix of faults, on an injected clock: the acceptance
// tests of the whole SDK (go test -short runs them at their smallest).
// The programs users copy are under examples/, on ghlsync.Engine.
//
//   - FieldService: a field-service app pushing customers, with follow-up
//     tasks, key-field notes, tags and notes back from HighLevel, conflicts
//     and a dashboard.
//   - Membership: a CSV import of members, then two-way live sync.
//   - Mirror: an app following HighLevel's contacts, tasks, notes and
//     appointments, with reminders and bookings.
//   - Connector: a no-code connector's actions and trigger, with an
//     error-to-message table.
//   - TeamApp: a team tool reading a person at once and writing back.
//
// They predate ghlsync.Engine and wire the sync parts themselves, which
// keeps those parts under the same faults.
package acceptance
