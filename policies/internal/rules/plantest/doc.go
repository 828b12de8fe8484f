// Package plantest runs the whole policy pack on the offline plans of the shipped stacks (internal/plan),
// the pack's realistic input, and checks the image extractor against the user data the pools really
// generate. It is a separate package so that the rules' own tests do not build the whole program.
package plantest
