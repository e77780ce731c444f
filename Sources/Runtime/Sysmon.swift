// sysmon: the system monitor on its own M without a P (Go's sysmon). It catches what the
// scheduler misses: Ps stuck in system calls (retake and hand off), goroutines running
// too long (ask them to yield, then force it with a signal), threads blocked in the kernel
// without a Runtime.syscall (Preemption.swift), overdue timers, and the scavenger's
// schedule; it prints the schedtrace line when GOBENCH_SCHEDTRACE asks for it
// (Schedtrace.swift), and the dump a SIGQUIT asks for (SigquitDump.swift).
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

final class SysmonState: @unchecked Sendable {
    let note = Note()
    var started = false
    /// Per P id: what forced preemption and the blocking check saw (Preemption.swift).
    var preemptViews: [Int: PreemptView] = [:]
    /// A forced preemption is pending: the next round comes within 1 ms.
    var preemptPending = false
}

/// Go's numbers: 20 µs at first, doubling after 50 idle rounds (1 ms of nothing), up to
/// 10 ms; a P in a syscall for one sysmon tick is retaken; a G running for 10 ms
/// (forcePreemptNS) is asked to yield.
enum SysmonTuning {
    static let minimumDelayNanoseconds: Int64 = 20_000
    static let maximumDelayNanoseconds: Int64 = 10_000_000
    static let idleRoundsBeforeBackoff = 50
    static let forcePreemptNanoseconds: Int64 = 10_000_000
}

func startSysmon() {
    let s = sched!
    s.lock.lock()
    let m = s.newMachine()
    m.isSysmon = true
    s.synced.systemMCount += 1
    s.sysmonState.started = true
    s.lock.unlock()
    s.startThread(m)
}

func sysmonMain(_ m: Machine) {
    let s = sched!
    let st = s.sysmonState
    var idle = 0
    var delay = SysmonTuning.minimumDelayNanoseconds
    var trace = SchedtraceClock(milliseconds: s.configuration.schedtraceMilliseconds)
    // The table of preemptible code (gb_preempt.c), read from the symbol table once per
    // process, here at the start rather than at the first signal, inside a measurement.
    if s.configuration.asyncPreemption { gb_preempt_prepare() }
    while !s.isShuttingDown {
        if idle == 0 {
            delay = SysmonTuning.minimumDelayNanoseconds
        } else if idle > SysmonTuning.idleRoundsBeforeBackoff {
            delay = min(delay * 2, SysmonTuning.maximumDelayNanoseconds)
        }
        // With schedtrace on, wake in time for the next line (Go's sysmon only keeps
        // out of its deep sleep, so a trace can be up to 10 ms late there; here a short
        // interval is kept too). At least the minimum delay: the first line is due at once.
        var sleep = delay
        if st.preemptPending { sleep = min(sleep, 1_000_000) }
        if trace.isOn {
            sleep = max(SysmonTuning.minimumDelayNanoseconds, min(delay, trace.nanosecondsUntilDue(gb_nanotime())))
        }
        // Asleep, sysmon holds no goroutine; awake, it reads running Gs from the Ps'
        // runningWord, which can name a G that is about to end: the fence orders the
        // store that ends its quiescent state before those loads (the scavenger's grace
        // period, Scavenger.swift, must see sysmon busy while it may hold one).
        m.enterQuiescentState()
        _ = st.note.sleep(nanoseconds: sleep)
        st.note.clear()
        m.leaveQuiescentState()
        gb_fence_seq_cst()
        if s.isShuttingDown { break }
        sigquitDumpIfPending() // a SIGQUIT came: Go's dump, exit 2 (SigquitDump.swift)
        let now = gb_nanotime()
        // Timers nobody ran (every P busy with long-running goroutines).
        if !s.timers.waiterActive && s.timers.earliest <= now {
            s.timers.runDueEverywhere(on: nil)
        }
        if retake(now) > 0 { idle = 0 } else { idle += 1 }
        // The stack pacer's pass, when a stack-cache refill asked for one (Scavenger.swift).
        if stackPacerTick(s) { idle = 0 }
        if trace.isOn { schedtraceIfDue(&trace, now: gb_nanotime()) }
    }
    s.lock.lock()
    s.synced.systemMCount -= 1
    s.lock.unlock()
    retireMachine(m)
}

/// Go's retake: hand off Ps blocked in system calls, preempt long-running goroutines
/// (asking first, then with a signal: Preemption.swift), hand off Ps whose threads block
/// in the kernel unseen, and finish the hand-offs that preempted threads asked for.
/// Returns how many Ps were retaken.
func retake(_ now: Int64) -> Int {
    let s = sched!
    let st = s.sysmonState
    s.lock.lock()
    let ps = s.allP
    let machines = s.synced.allM
    s.lock.unlock()
    var n = finishHandoffs(s, machines)
    var pending = false
    for p in ps {
        let status = p.status
        if status == .running || status == .syscall {
            let t = p.scheduleTick
            if p.sysmonScheduleTick != t {
                p.sysmonScheduleTick = t
                p.sysmonWhenNanoseconds = now
            } else if status == .running {
                var requestedBefore = false
                if p.sysmonWhenNanoseconds + SysmonTuning.forcePreemptNanoseconds <= now {
                    let w = gb_load_acquire_uptr(p.runningWord)
                    if w != 0, case let gp = Goroutine.from(word: w) {
                        if !gp.preempt {
                            gp.preempt = true
                            Statistics.shared.add(.preemptionRequests)
                            // The next round, within 1 ms, forces it if not honoured.
                            if s.configuration.asyncPreemption { pending = true }
                        } else {
                            requestedBefore = true // and not honoured since a round before
                        }
                    }
                }
                var view = st.preemptViews[p.id] ?? PreemptView()
                if sysmonCheckStuck(s, p, tick: t, requestedBefore: requestedBefore, now: now, view: &view) {
                    pending = true
                }
                st.preemptViews[p.id] = view
            }
        }
        if status == .syscall {
            let t = gb_load_acquire_u32(p.syscallTick)
            if p.sysmonSyscallTick != t {
                p.sysmonSyscallTick = t
                p.sysmonSyscallWhenNanoseconds = now
                continue
            }
            // In the same syscall for at least one sysmon tick. Don't retake a P with no
            // work when others spin or idle, unless it has been 10 ms (Go's rule).
            if p.runQueue.isEmpty
                && gb_load_acquire_i32(s.words.spinningCount) + gb_load_acquire_i32(s.words.idlePCount) > 0
                && p.sysmonSyscallWhenNanoseconds + 10_000_000 > now {
                continue
            }
            if p.casStatus(.syscall, .idle) {
                Statistics.shared.add(.retakes)
                Statistics.shared.add(.handoffs)
                n += 1
                s.handoffP(p)
            }
        }
    }
    st.preemptPending = pending
    return n
}
