// The vocabulary of the runtime, as Go's proc.go has it:
//
//   G  a goroutine (`Goroutine`): a function with its own stack and state.
//   M  a machine (`Machine`): an OS thread. Each M has a g0, the thread's own stack, on
//      which the scheduler runs between goroutines.
//   P  a processor (`Processor`): the right to run Go code, with a local run queue.
//      GOMAXPROCS is the number of Ps. An M must hold a P to run goroutines.
//
// The scheduler's design essay is at the top of Scheduler.swift.
public enum Glossary {}
