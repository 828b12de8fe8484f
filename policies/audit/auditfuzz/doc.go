// Package auditfuzz holds the fuzz target of the audit (FuzzRun), apart from the audit's own tests.
// Those plan the shipped stacks and run the Pulumi engine, so their test binary links the whole
// program and pulumi-aws; a fuzzing build instruments every package its test binary links, and this
// one links only the audit. It has no code of its own.
package auditfuzz
