// Package scenarios holds the five integrations HighLevel users build,
// each written with the public SDK alone and run end to end against
// ghltest, with and without faults: the acceptance tests of the whole SDK.
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
// Each is a small, readable piece of code meant to be copied; the
// two-way engine FieldService and Membership share is unexported.
package scenarios
