// Stop-the-world and resizing the set of Ps (Go's stopTheWorldWithSema, procresize).
import CRuntime

extension Scheduler {
    /// Stops every P but the caller's: idle Ps and Ps in system calls are taken at once;
    /// running ones are asked to yield at their next preemption point and give up their
    /// P (stopForTheWorld). Returns with the world stopped and `worldMutex` held. Called
    /// inside the runtime (runtimeEnter or inRuntime): see withWorldStopped.
    func stopTheWorld() {
        worldMutex.lock()
        Statistics.shared.add(.stopTheWorlds)
        let m = Machine.current!
        let myP = m.p!
        lock.lock()
        gb_store_release_u32(words.gcWaiting, 1)
        gb_fence_seq_cst() // pairs with enterSyscall's fence
        stopNote.clear()
        synced.stopWait = gomaxprocs - 1
        for p in allP where p !== myP {
            if p.status == .syscall && p.casStatus(.syscall, .stopped) {
                synced.stopWait -= 1
            }
        }
        while let p = idlePGet() {
            p.setStatus(.stopped)
            synced.stopWait -= 1
        }
        let wait = synced.stopWait > 0
        lock.unlock()
        if wait {
            while true {
                preemptAll(except: myP)
                if stopNote.sleep(nanoseconds: 100_000) { break }
            }
        }
        lock.lock()
        if synced.stopWait != 0 { fatal("stopTheWorld: not stopped (stopwait=\(synced.stopWait))") }
        for p in allP where p !== myP && p.status != .stopped {
            fatal("stopTheWorld: P \(p.id) not stopped (\(p.status))")
        }
        lock.unlock()
    }

    /// Asks the goroutine running on every P but `except` to yield.
    func preemptAll(except: Processor?) {
        for p in allP where p !== except && p.status == .running {
            let w = gb_load_acquire_uptr(p.runningWord)
            if w != 0 { Goroutine.from(word: w).preempt = true }
        }
    }

    /// Runs `body` with the world stopped (no other goroutine runs, every P's state is the
    /// caller's to read), then restarts it as Go's startTheWorld does (procresize to the
    /// same count). For checks of the runtime's state (tests), from a goroutine; `body`
    /// must not park. Runtime code throughout (Preemption.swift): the caller's thread
    /// sleeps while the other Ps stop, and a goroutine's own code asleep in the kernel
    /// would have its P handed off, to the world-stopper itself.
    func withWorldStopped(_ body: () -> Void) {
        inRuntime {
            stopTheWorld()
            body()
            lock.lock()
            let runnable = resizeProcessors(gomaxprocs, caller: Machine.current!)
            gb_store_release_u32(words.gcWaiting, 0)
            lock.unlock()
            startTheWorld(runnable)
        }
    }

    /// Restarts the Ps in `runnable` on Ms and releases `worldMutex` (the caller cleared
    /// the stop flag under sched.lock, with the resize).
    func startTheWorld(_ runnable: [Processor]) {
        for p in runnable { startM(p, spinning: false) }
        wakeP()
        worldMutex.unlock()
    }

    /// Go's procresize (caller holds `lock`, the world is stopped or not yet started):
    /// makes `n` Ps, destroys the rest (their queues go to the head of the global queue,
    /// their free Gs and stacks to the global lists), keeps or gives the caller a P, puts
    /// the empty Ps on the idle list and returns those with work.
    func resizeProcessors(_ n: Int, caller m: Machine) -> [Processor] {
        precondition(n > 0)
        let old = allP.count
        if n > old {
            // Reuse destroyed Ps (Go never frees a P: Ms and sysmon may still hold a
            // pointer to one that GOMAXPROCS removed).
            for i in old..<n {
                if let p = retiredProcessors[i], p.status == .dead {
                    p.setStatus(.idle)
                    allP.append(p)
                } else {
                    let p = Processor(id: i, node: placement.node(forProcessor: i, count: n))
                    timers.register(p.timers)
                    allP.append(p)
                }
            }
        } else if n < old {
            // Upward, as Go's procresize (for i := nprocs; i < old; i++ { pp.destroy() }):
            // each puts its queue at the head of the global queue, so the last P's
            // goroutines end up first.
            for p in allP[n...] { destroyProcessor(p) }
            for p in allP[n...] { retiredProcessors[p.id] = p }
            allP.removeSubrange(n...)
        }
        gomaxprocs = n
        placement.apply(to: allP)
        // Ps that changed node give back the stacks cached from the old one.
        for p in allP where p.stackCache.contains(where: { $0.node != p.memoryNode }) {
            stacks.release(p.stackCache[...])
            p.stackCache.removeAll()
        }
        if let mine = m.p, mine.id >= n {
            m.p = nil
            mine.m = nil
        }
        if m.p == nil {
            let p = allP[0]
            if p.status == .idle { removeFromIdle(p) }
            acquireP(m, p)
        } else {
            placement.bind(m, to: m.p!)
        }
        var runnable: [Processor] = []
        for p in allP.reversed() where p !== m.p {
            if p.status == .idle && isOnIdleList(p) { continue }
            if p.runQueue.isEmpty {
                idlePPut(p)
            } else {
                p.setStatus(.idle)
                runnable.append(p)
            }
        }
        return runnable
    }

    private func isOnIdleList(_ p: Processor) -> Bool {
        var q = synced.idleP
        while let x = q { if x === p { return true }; q = x.link }
        return false
    }

    private func removeFromIdle(_ p: Processor) {
        var prev: Processor? = nil
        var q = synced.idleP
        while let x = q {
            if x === p {
                if let prev { prev.link = x.link } else { synced.idleP = x.link }
                x.link = nil
                _ = gb_sub_i32(words.idlePCount, 1)
                return
            }
            prev = x
            q = x.link
        }
    }

    /// Go's (*p).destroy: everything the P holds goes to the global structures.
    private func destroyProcessor(_ p: Processor) {
        if p.status == .idle { removeFromIdle(p) }
        // runnext first, then the ring in order, all at the head of the global queue.
        for w in p.runQueue.drain().reversed() { globalPutHead(Goroutine.from(word: w)) }
        freeLock.lock()
        while let w = p.freeList.popBack() { globalFreeList.pushBack(w) }
        globalFreeChanged()
        freeLock.unlock()
        stacks.release(p.stackCache[...])
        p.stackCache.removeAll()
        p.timers.moveAll(to: allP[0].timers, queue: timers) // (Go's moveTimers)
        retiredStatistics.add(p.stats)
        p.stats = ProcessorStatistics()
        p.m = nil
        p.setStatus(.dead)
    }
}
