// The results file and the children under concurrent and hostile use, end to end through the
// gobench binary with a fake Go peer (a shell script): the lock on the results file, planted
// symbolic links at temporary names, children of a killed parent, a planted .venv/bin/go,
// outputs equal to inputs, huge counts, a torn file repaired and resumed, a big file in
// bounded memory.
import XCTest
@testable import GobenchKit
#if canImport(Glibc)
import Glibc
#endif

final class HostileUseTests: XCTestCase {
    var directory = ""
    /// Processes a test leaves to stop in tearDown (a setsid grandchild of a killed sweep).
    var leftovers: [pid_t] = []

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "gobench-hostile-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for pid in leftovers { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let ok = #"{"gobench_result":1,"status":"ok","metrics":[{"name":"ns_per_op","value":12.5,"unit":"ns","direction":"lower"}]}"#

    /// A fake Go peer that runs `body` (sh) and is passed with --go-peer.
    func peer(_ name: String, _ body: String) throws -> String {
        let path = directory + "/peer-\(name).sh"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func sweepArguments(peer: String, output: String, reps: Int = 1) -> [String] {
        ["sweep", "--engines", "go", "--go-peer", peer, "--workloads", "chan-pingpong", "--procs", "1",
         "--scavenge", "off", "--reps", String(reps), "--timeout", "60s", "-o", output]
    }

    /// Starts gobench without waiting (output to files in the test folder).
    func start(_ arguments: [String], name: String) throws -> Process {
        let process = Process()
        process.executableURL = try GobenchBinary.url()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        _ = FileManager.default.createFile(atPath: directory + "/\(name).out", contents: nil)
        _ = FileManager.default.createFile(atPath: directory + "/\(name).err", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/\(name).out")
        process.standardError = FileHandle(forWritingAtPath: directory + "/\(name).err")
        try process.run()
        return process
    }

    func run(_ arguments: [String], extra: [String: String] = [:]) throws -> GobenchBinary.Outcome {
        try GobenchBinary.run(arguments, in: URL(fileURLWithPath: directory), extra: extra)
    }

    func waitFor(_ what: String, seconds: Double = 30, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(condition(), "timed out waiting for \(what)")
    }

    func contents(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }

    /// Alive and not a zombie.
    func isRunning(_ pid: pid_t) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return false }
        let state = text[text.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    func assertOneErrorLine(_ outcome: GobenchBinary.Outcome, status: Int32, contains text: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, status, outcome.stderr, file: file, line: line)
        let lines = outcome.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, outcome.stderr, file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(text), outcome.stderr, file: file, line: line)
    }

    // MARK: the lock

    func testASweepOnAFileLockedByAnotherProcessIsRefusedNamingItsPid() throws {
        let output = directory + "/r.csv"
        let peer = try peer("ok", "echo '\(Self.ok)'")
        // A lock holder: this process.
        var lock: ResultsLock? = try ResultsLock.acquire(for: output)
        let refused = try run(sweepArguments(peer: peer, output: output))
        assertOneErrorLine(refused, status: ResultsLockError.exitStatus, contains: "in use by another gobench (pid \(getpid()))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "a refused sweep created the file")
        // The same with --resume on an existing file: refused, and the file unchanged.
        lock = nil
        XCTAssertEqual(try run(sweepArguments(peer: peer, output: output)).status, 0)
        let before = contents("r.csv")
        lock = try ResultsLock.acquire(for: output)
        let resume = try run(sweepArguments(peer: peer, output: output, reps: 2) + ["--resume"])
        assertOneErrorLine(resume, status: ResultsLockError.exitStatus, contains: "pid \(getpid())")
        XCTAssertEqual(contents("r.csv"), before)
        withExtendedLifetime(lock) {}
    }

    func testConcurrentFreshSweepsWriteOneHeader() throws {
        let peer = try peer("slow", "sleep 0.5; echo '\(Self.ok)'")
        for round in 0..<4 {
            let output = directory + "/race-\(round).csv"
            let a = try start(sweepArguments(peer: peer, output: output), name: "a\(round)")
            let b = try start(sweepArguments(peer: peer, output: output), name: "b\(round)")
            a.waitUntilExit(); b.waitUntilExit()
            let text = contents("race-\(round).csv")
            XCTAssertEqual(text.components(separatedBy: "schema_version").count - 1, 1, text)
            XCTAssertNoThrow(try ResultsCSV.read(path: output))
            // One ran; the other was refused (in use, or the file existed by then).
            let statuses = [a.terminationStatus, b.terminationStatus].sorted()
            XCTAssertEqual(statuses[0], 0)
            XCTAssertTrue([1, ResultsLockError.exitStatus].contains(statuses[1]), "\(statuses) \(contents("a\(round).err")) \(contents("b\(round).err"))")
        }
    }

    func testTwoResumesOnOneFile() throws {
        let output = directory + "/r.csv"
        XCTAssertEqual(try run(sweepArguments(peer: try peer("ok", "echo '\(Self.ok)'"), output: output)).status, 0)
        let slow = try peer("slow", "sleep 1; echo '\(Self.ok)'")
        let first = try start(sweepArguments(peer: slow, output: output, reps: 3) + ["--resume"], name: "first")
        waitFor("the first resume to take the lock") { FileManager.default.fileExists(atPath: ResultsLock.lockPath(for: output)) }
        let second = try run(sweepArguments(peer: slow, output: output, reps: 3) + ["--resume"])
        assertOneErrorLine(second, status: ResultsLockError.exitStatus, contains: "pid \(first.processIdentifier)")
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0, contents("first.err"))
        let rows = try ResultsCSV.read(path: output)
        XCTAssertEqual(Set(rows.map(\.runID)).count, 3, "3 runs for a 3-run plan")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ResultsLock.lockPath(for: output)), "the lock file is removed at the end")
    }

    // MARK: temporary files

    func testPlantedSymlinksAtTemporaryNamesAreNotFollowed() throws {
        let victim = directory + "/victim.txt"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let input = directory + "/in.csv"
        XCTAssertEqual(try run(sweepArguments(peer: try peer("ok", "echo '\(Self.ok)'"), output: input)).status, 0)
        // The names a predictable scheme would use for the next pids: merge's .OUT.tmp-PID,
        // tune's $TMPDIR/gobench-tune-PID.csv.
        let last = Int((try? String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? Int(getpid())
        let tmp = directory + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        for pid in last..<(last + 400) {
            symlink(victim, directory + "/.merged.csv.tmp-\(pid)")
            symlink(victim, tmp + "/gobench-tune-\(pid).csv")
        }
        let merged = try run(["merge", directory + "/merged.csv", input])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        var info = stat()
        XCTAssertEqual(lstat(directory + "/merged.csv", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG, "the output is a regular file, not a planted link")
        let tune = try run(["tune", "--engine", "go", "--go-peer", try peer("ok", "echo '\(Self.ok)'"),
                            "--workloads", "chan-pingpong", "--procs", "1,2", "--reps", "1"], extra: ["TMPDIR": tmp])
        XCTAssertFalse(tune.stderr.contains("Fatal"), tune.stderr)
        // The lock file's name: a link there is refused, not followed.
        symlink(victim, ResultsLock.lockPath(for: directory + "/locked.csv"))
        let locked = try run(sweepArguments(peer: try peer("ok", "echo '\(Self.ok)'"), output: directory + "/locked.csv"))
        assertOneErrorLine(locked, status: 1, contains: "lock file")
        XCTAssertEqual(contents("victim.txt"), "precious\n")
        for name in try FileManager.default.contentsOfDirectory(atPath: tmp) {
            var entry = stat()
            XCTAssertEqual(lstat(tmp + "/" + name, &entry), 0)
            XCTAssertEqual(entry.st_mode & S_IFMT, S_IFLNK, "tune left \(name) in TMPDIR")
        }
    }

    // MARK: children

    func testChildrenOfAKilledSweepAreStoppedAndAGrandchildThatLeftTheGroupIsReaped() throws {
        let d = directory
        // The child: a grandchild in its group, and waits.
        let stuck = try peer("stuck", "echo $$ > \(d)/child.pid; sleep 60 & echo $! > \(d)/grandchild.pid; wait")
        let output = d + "/r.csv"
        let sweep = try start(sweepArguments(peer: stuck, output: output), name: "sweep")
        waitFor("the child and its grandchild") { !contents("grandchild.pid").isEmpty }
        let child = pid_t(contents("child.pid").trimmingCharacters(in: .whitespacesAndNewlines))!
        let grandchild = pid_t(contents("grandchild.pid").trimmingCharacters(in: .whitespacesAndNewlines))!
        leftovers += [child, grandchild]
        kill(sweep.processIdentifier, SIGKILL)
        sweep.waitUntilExit()
        // The child dies with its parent (PR_SET_PDEATHSIG).
        waitFor("the child to die with its parent", seconds: 10) { !isRunning(child) }
        // The grandchild in its group: stopped by the next sweep on the file.
        XCTAssertTrue(isRunning(grandchild), "the grandchild should still run until --resume")
        let resume = try run(sweepArguments(peer: try peer("ok", "echo '\(Self.ok)'"), output: output) + ["--resume"])
        XCTAssertEqual(resume.status, 0, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("stopped the child \(child)"), resume.stderr)
        waitFor("the grandchild to be stopped", seconds: 10) { !isRunning(grandchild) }

        // A grandchild that leaves the group (setsid) while the sweep lives is reaped at the
        // end of its run (the subreaper).
        let escaping = try peer("escape", "setsid sh -c 'echo $$ > \(d)/escaped.pid; exec sleep 60' & sleep 0.5; echo '\(Self.ok)'")
        let outcome = try run(sweepArguments(peer: escaping, output: d + "/e.csv"))
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let escaped = pid_t(contents("escaped.pid").trimmingCharacters(in: .whitespacesAndNewlines))!
        leftovers.append(escaped)
        XCTAssertFalse(isRunning(escaped), "the setsid grandchild outlived its run")
    }

    func testASetsidGrandchildOfAKilledSweepIsFoundByItsTagAndStoppedByResume() throws {
        let d = directory
        // The child: a grandchild that leaves the group and the session (setsid), and waits.
        let escaping = try peer("setsid", "echo \"$GOBENCH_SWEEP_OWNER\" > \(d)/tag; setsid sh -c 'echo $$ > \(d)/escaped.pid; exec sleep 60' & sleep 60")
        let output = d + "/r.csv"
        let sweep = try start(sweepArguments(peer: escaping, output: output), name: "sweep")
        waitFor("the grandchild") { contents("escaped.pid").hasSuffix("\n") }
        let escaped = pid_t(contents("escaped.pid").trimmingCharacters(in: .whitespacesAndNewlines))!
        leftovers.append(escaped)
        // The tag names the sweep and the results file's absolute path.
        let tag = contents("tag").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(tag.hasPrefix("\(sweep.processIdentifier):"), tag)
        XCTAssertTrue(tag.hasSuffix(":" + SweepOwnerTag.absolutePath(output)), tag)
        kill(sweep.processIdentifier, SIGKILL)
        sweep.waitUntilExit()
        usleep(300_000)
        XCTAssertTrue(isRunning(escaped), "the setsid grandchild outlives a killed sweep until --resume")
        let resume = try run(sweepArguments(peer: try peer("ok", "echo '\(Self.ok)'"), output: output) + ["--resume"])
        XCTAssertEqual(resume.status, 0, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("left running by a gobench that was killed while it held"), resume.stderr)
        XCTAssertTrue(resume.stderr.contains("\(escaped)"), resume.stderr)
        waitFor("the grandchild to be stopped", seconds: 10) { !isRunning(escaped) }
        // The tag is not a setting of the run: no row records it.
        XCTAssertFalse(contents("r.csv").contains(SweepOwnerTag.variable))
        XCTAssertEqual(try ResultsCSV.read(path: output).filter { $0.env.contains(SweepOwnerTag.variable) }, [])
    }

    // MARK: the working directory

    func testAPlantedVenvGoIsNotRunWithTheSwiftEngine() throws {
        try FileManager.default.createDirectory(atPath: directory + "/.venv/bin", withIntermediateDirectories: true)
        let planted = directory + "/.venv/bin/go"
        try "#!/bin/sh\ntouch \(directory)/PLANTED-RAN\necho go version go1.99 linux/amd64\n".write(toFile: planted, atomically: true, encoding: .utf8)
        chmod(planted, 0o755)
        let tmp = directory + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let outcome = try run(["sweep", "--engines", "swift", "--workloads", "chan-pingpong", "--procs", "1",
                               "--scavenge", "off", "--reps", "1", "--param", "n=1000", "-o", directory + "/s.csv"],
                              extra: ["TMPDIR": tmp, "PATH": ".venv/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/PLANTED-RAN"), "the planted go ran")
        let rows = try ResultsCSV.read(path: directory + "/s.csv")
        XCTAssertEqual(Set(rows.map(\.machine.goVersion)), ["none"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "a run left files in TMPDIR")
    }

    // MARK: inputs and outputs

    func testAnOutputEqualToAnInputIsRefusedWithoutForce() throws {
        let a = directory + "/a.csv", b = directory + "/b.csv"
        let peer = try peer("ok", "echo '\(Self.ok)'")
        XCTAssertEqual(try run(sweepArguments(peer: peer, output: a)).status, 0)
        XCTAssertEqual(try run(sweepArguments(peer: peer, output: b)).status, 0)
        let before = contents("a.csv")
        assertOneErrorLine(try run(["report", a, "-o", a]), status: 1, contains: "is an input")
        assertOneErrorLine(try run(["compare", a, b, "-o", "./a.csv"]), status: 1, contains: "is an input")
        symlink(a, directory + "/link.csv")
        assertOneErrorLine(try run(["compare", a, b, "-o", directory + "/link.csv"]), status: 1, contains: "is an input")
        assertOneErrorLine(try run(["merge", a, a, b]), status: 1, contains: "already exists")
        XCTAssertEqual(contents("a.csv"), before)
        XCTAssertEqual(try run(["report", a, "-o", a, "--force"]).status, 0)
    }

    // MARK: bounds

    func testHugeCountsAreOneErrorLine() throws {
        for reps in ["99999999999999", "9223372036854775807", "1000000"] {
            let outcome = try run(["sweep", "--reps", reps, "--dry-run", "--engines", "swift"])
            assertOneErrorLine(outcome, status: 1, contains: "reps \(reps) is more than \(Bounds.maximumReps)")
        }
        assertOneErrorLine(try run(["sweep", "--param", "n=1,2,,3", "--dry-run", "--engines", "swift", "--workloads", "chan-pingpong"]),
                           status: 1, contains: "empty item")
        assertOneErrorLine(try run(["run", "chan-pingpong", "--param", "n=99999999999999999999"]),
                           status: 1, contains: "2^40")
        assertOneErrorLine(try run(["sweep", "--reps", "10000", "--dry-run", "--engines", "swift,go"]),
                           status: 1, contains: "runs")
    }

    // MARK: a big file in bounded memory

    /// merge, compare and report of a big results file under `ulimit -v`: 200 MB under 1 GiB
    /// with a release gobench (what a day of sweeps gives), 40 MB under 320 MiB with a debug
    /// one (the debug build parses about 1 MB/s on a loaded machine). Reading the whole file
    /// into rows takes about 10 times its size, so either limit fails without the streaming
    /// readers.
    func testABigFileIsMergedComparedAndReportedInBoundedMemory() throws {
        let release = try GobenchBinary.url().path.contains("/release/")
        let megabytes = Int(ProcessInfo.processInfo.environment["GOBENCH_BIG_FILE_MB"] ?? "") ?? (release ? 200 : 40)
        let limitKB = release ? 1 << 20 : 320 << 10
        let big = directory + "/big.csv", small = directory + "/small.csv"
        XCTAssertEqual(try run(sweepArguments(peer: try peer("ok", "echo '\(Self.ok)'"), output: small)).status, 0)
        let template = try ResultsCSV.read(path: small)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: { _ = FileManager.default.createFile(atPath: big, contents: nil); return big }()))
        var text = ResultsCSV.render([], header: true)
        var written = 0, run = 0
        while written < megabytes << 20 {
            run += 1
            for var row in template {
                row.runID = String(format: "%016x", run)
                row.rep = run
                row.params = "n=\(run % 64)"
                row.value = row.value.map { $0 + Double(run % 97) }
                text += CSVRecordWriter.line(row.fields)
            }
            if text.utf8.count >= 1 << 20 {
                written += text.utf8.count
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
        try handle.close()
        defer { unlink(big); unlink(directory + "/merged.csv"); unlink(directory + "/big.html") }
        let gobench = try GobenchBinary.url().path
        let script = """
        ulimit -v \(limitKB)
        "\(gobench)" merge "\(directory)/merged.csv" "\(big)" || exit 10
        "\(gobench)" compare "\(small)" "\(big)" --format csv > /dev/null
        status=$?; [ $status -le 3 ] || exit 20
        "\(gobench)" report "\(big)" --base "\(small)" -o "\(directory)/big.html" > /dev/null || exit 30
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(megabytes) MB under ulimit -v \(limitKB) KB: \(stderr.suffix(400))")
        var info = stat()
        XCTAssertEqual(stat(directory + "/merged.csv", &info), 0)
        XCTAssertGreaterThan(Int(info.st_size), (megabytes << 20) * 9 / 10)
        // The report counted every row and run of the big file, and compared it with the base.
        let html = contents("big.html")
        XCTAssertTrue(html.contains("<td class=\"num\">\(run * template.count)</td><td class=\"num\">\(run)</td>"), String(html.prefix(3000)))
        XCTAssertTrue(html.contains("id=\"comparison\""))
    }

    // MARK: a torn file

    func testAFileCutBetweenRowsIsResumedWithEveryRunWholeAndNoRowTwice() throws {
        let output = directory + "/r.csv"
        let peer = try peer("ok", "echo '\(Self.ok)'")
        XCTAssertEqual(try run(sweepArguments(peer: peer, output: output, reps: 3)).status, 0)
        let whole = try ResultsCSV.read(path: output)
        // Cut between two rows of the last run (a crash in the middle of its write).
        var lines = contents("r.csv").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast(4)  // the empty tail, exit_status and two more metrics
        let cut = lines.joined(separator: "\n") + "\n"
        try cut.write(toFile: output, atomically: true, encoding: .utf8)
        let cutRun = try XCTUnwrap(RunCompleteness.incompleteRuns(try ResultsCSV.read(path: output)).first).runID
        let cutRows = try ResultsCSV.read(path: output).filter { $0.runID == cutRun }.count
        let resumed = try run(sweepArguments(peer: peer, output: output, reps: 3) + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("removed the last run of \(output), cut by a crash (run \(cutRun), \(cutRows) rows"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("2 already done, 1 to go"), resumed.stderr)
        let rows = try ResultsCSV.read(path: output)
        XCTAssertEqual(RunCompleteness.incompleteRuns(rows), [])
        XCTAssertFalse(rows.contains { $0.runID == cutRun }, "the cut run's rows are gone")
        XCTAssertEqual(Set(rows.map(\.runID)).count, 3)
        XCTAssertEqual(rows.map(\.rep).sorted(), whole.map(\.rep).sorted(), "each rep once, with all its rows")
        let pairs = rows.map { "\($0.runID) \($0.metric)" }
        XCTAssertEqual(Set(pairs).count, pairs.count, "a metric of a run twice")
        // compare counts 3 samples per cell, not 3 plus the cut run's.
        let report = compare(base: whole, new: rows)
        XCTAssertTrue(report.cells.allSatisfy { $0.new.count == 3 }, "\(report.cells.map(\.new.count))")
        // An incomplete run before whole runs is not what a crash leaves: refused, unchanged,
        // until repair removes it; then resumed.
        var text = contents("r.csv")
        let first = rows.first!.runID
        text = text.split(separator: "\n").filter { !($0.contains(first) && $0.contains("exit_status")) }.joined(separator: "\n") + "\n"
        try text.write(toFile: output, atomically: true, encoding: .utf8)
        let refused = try run(sweepArguments(peer: peer, output: output, reps: 3) + ["--resume"])
        assertOneErrorLine(refused, status: 1, contains: "before whole runs); `gobench repair")
        XCTAssertEqual(contents("r.csv"), text)
        XCTAssertEqual(try run(["repair", output]).status, 0)
        let again = try run(sweepArguments(peer: peer, output: output, reps: 3) + ["--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("2 already done, 1 to go"), again.stderr)
        let final = try ResultsCSV.read(path: output)
        XCTAssertEqual(RunCompleteness.incompleteRuns(final), [])
        XCTAssertEqual(Set(final.map(\.runID)).count, 3)
        XCTAssertFalse(final.contains { $0.runID == first })
        XCTAssertEqual(final.map(\.rep).sorted(), whole.map(\.rep).sorted())
        // A resume that will be refused for its env leaves the file as it is.
        try cut.write(toFile: output, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsRepair.removeIncompleteRuns(try ResultsCSV.read(path: output), path: output,
                                                                     expectedEnvironment: "GOGC=50")) { error in
            XCTAssertTrue("\(error)".contains("gobench repair"), "\(error)")
        }
        XCTAssertEqual(contents("r.csv"), cut)
    }

    /// tune continues its file as sweep does: the crash-cut last run is removed with the same
    /// notice and measured again, and a file measured under another env is refused. Both of
    /// tune's paths: catalog workloads, and the user's own command (the container path).
    func testATuneResumeRemovesACrashCutRunWithANoticeAndRefusesAnotherEnv() throws {
        try assertTuneResumes(["--engine", "go", "--go-peer", try peer("ok", "echo '\(Self.ok)'"), "--workloads", "chan-pingpong"],
                              output: directory + "/t.csv")
        try assertTuneResumes(["--command", "t=true"], output: directory + "/c.csv")
    }

    private func assertTuneResumes(_ workload: [String], output: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let arguments = ["tune"] + workload + ["--procs", "1", "--reps", "4", "-o", output]
        let name = (output as NSString).lastPathComponent
        let first = try run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr, file: file, line: line)
        var lines = contents(name).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast(4)  // the empty tail, exit_status and two more metrics
        try (lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
        let cutRun = try XCTUnwrap(RunCompleteness.incompleteRuns(try ResultsCSV.read(path: output)).first, file: file, line: line).runID
        let resumed = try run(arguments + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr, file: file, line: line)
        XCTAssertTrue(resumed.stderr.contains("warning: removed the last run of \(output), cut by a crash (run \(cutRun)"), resumed.stderr,
                      file: file, line: line)
        let rows = try ResultsCSV.read(path: output)
        XCTAssertEqual(RunCompleteness.incompleteRuns(rows), [], file: file, line: line)
        XCTAssertEqual(Set(rows.map(\.runID)).count, 4, "four reps, each once", file: file, line: line)
        let before = contents(name)
        let otherEnvironment = try run(arguments + ["--resume"], extra: ["GOGC": "50"])
        assertOneErrorLine(otherEnvironment, status: 1, contains: "--resume needs the same settings", file: file, line: line)
        XCTAssertEqual(contents(name), before, "a refused resume changed the file", file: file, line: line)
    }

    func testATornFileIsRefusedByResumeRepairedAndResumed() throws {
        let output = directory + "/r.csv"
        let peer = try peer("ok", "echo '\(Self.ok)'")
        XCTAssertEqual(try run(sweepArguments(peer: peer, output: output, reps: 3)).status, 0)
        // Cut in the middle of the last run's rows, then in the middle of a row.
        let whole = contents("r.csv")
        var lines = whole.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast(4)  // the empty tail, exit_status and two more metrics
        let torn = lines.joined(separator: "\n") + "\n" + String(lines.last!.prefix(30))
        try torn.write(toFile: output, atomically: true, encoding: .utf8)
        let refused = try run(sweepArguments(peer: peer, output: output, reps: 3) + ["--resume"])
        assertOneErrorLine(refused, status: 1, contains: "gobench repair")
        XCTAssertEqual(contents("r.csv"), torn, "a refused resume changed the file")
        let repaired = try run(["repair", output])
        XCTAssertEqual(repaired.status, 0, repaired.stderr)
        XCTAssertTrue(repaired.stdout.contains("removed 1 incomplete run"), repaired.stdout)
        XCTAssertTrue(repaired.stdout.contains("torn tail"), repaired.stdout)
        let kept = try ResultsCSV.read(path: output)
        XCTAssertEqual(Set(kept.map(\.runID)).count, 2)
        XCTAssertEqual(RunCompleteness.incompleteRuns(kept), [])
        let resumed = try run(sweepArguments(peer: peer, output: output, reps: 3) + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let rows = try ResultsCSV.read(path: output)
        XCTAssertEqual(Set(rows.map(\.runID)).count, 3)
        XCTAssertEqual(Set(rows.map(\.rep)), [0, 1, 2])
        XCTAssertEqual(RunCompleteness.incompleteRuns(rows), [])
        XCTAssertEqual(try run(["repair", output]).stdout.contains("nothing to repair"), true)
        // Malformed before the tail: refused, unchanged.
        let header = whole.prefix { $0 != "\n" }
        let middle = String(header) + "\n1,2,3\n" + String(whole.dropFirst(header.count + 1))
        try middle.write(toFile: output, atomically: true, encoding: .utf8)
        assertOneErrorLine(try run(["repair", output]), status: 1, contains: "not a torn tail")
        XCTAssertEqual(contents("r.csv"), middle)
    }
}

/// Child output validated against the protocol, and the reason of a crash.
final class ChildOutputValidationTests: XCTestCase {
    func parse(_ metrics: String) -> Result<ChildResult, ChildResult.Problem> {
        ChildResult.parse(#"{"gobench_result":1,"status":"ok","metrics":["# + metrics + "]}")
    }

    func testDuplicateAndBadMetricsAreGarbage() {
        let a = #"{"name":"a","value":1,"unit":"ns","direction":"lower"}"#
        guard case .failure(let dup) = parse(a + "," + a) else { return XCTFail("a duplicate metric was accepted") }
        XCTAssertTrue(dup.description.contains("reported twice"), dup.description)
        for bad in [#"{"name":"a\nb","value":1}"#, #"{"name":"a\u0000b","value":1}"#, #"{"name":"<script>","value":1}"#,
                    #"{"name":"a","value":1,"unit":"\u001b[31m"}"#, #"{"name":"a|b","value":1}"#] {
            guard case .failure = parse(bad) else { return XCTFail("accepted \(bad)") }
        }
        guard case .failure = ChildResult.parse(#"{"gobench_result":1,"status":"error","error":"bad\u001b[2J"}"#) else {
            return XCTFail("a control character in the reason was accepted")
        }
        guard case .success(let fine) = parse(#"{"name":"ops_per_sec","value":1e3,"unit":"ops/s","direction":"higher"}"#) else {
            return XCTFail("a valid metric was refused")
        }
        XCTAssertEqual(fine.metrics.first?.value, 1000)
    }

    func testADuplicateMetricRunIsOneGarbageRow() throws {
        let directory = NSTemporaryDirectory() + "gobench-dup-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/dup.sh"
        let a = #"{"name":"a","value":1,"unit":"ns","direction":"lower"}"#
        try "#!/bin/sh\necho '{\"gobench_result\":1,\"status\":\"ok\",\"metrics\":[\(a),\(a)]}'\n".write(toFile: script, atomically: true, encoding: .utf8)
        let runner = ChildRunner(launcher: EngineLauncher { _ in ["/bin/sh", script] }, timeoutSeconds: 10)
        let settings = RunSettings(workload: "chan-pingpong", engine: .go, procs: 1, scavenge: .off, placement: .none, params: WorkloadParameters())
        let outcome = runner.run(settings)
        XCTAssertEqual(outcome.status, .garbage)
        XCTAssertEqual(outcome.rows(settings: settings, rep: 0, runID: "r", timestamp: "t", machine: testMachine).count, 1)
    }

    func testMarkdownCellsAreEscaped() {
        XCTAssertEqual(MarkdownText.cell("a|b<script>&\n\u{1b}[2J"), "a\\|b&lt;script&gt;&amp;\\n\\u{1b}[2J")
        let row = FigureTable.Row(workload: "w|<b>x</b>", params: "", procs: 1, scavenge: "off", medians: ["swift": (2, 3), "go": (1, 3)])
        let table = FigureTable.markdown([row])
        XCTAssertTrue(table.contains("| w\\|&lt;b&gt;x&lt;/b&gt; | 1 |"), table)
    }

    func testValuesMustBeDecimalInTheCSV() throws {
        XCTAssertTrue(ResultsCSV.isDecimal("12.5"))
        XCTAssertTrue(ResultsCSV.isDecimal("-3e-07"))
        for bad in ["0x10", "inf", "nan", "1e", "", "1..2", "--1", "1_000", "0x1p4"] {
            XCTAssertFalse(ResultsCSV.isDecimal(bad), bad)
        }
    }

    func testTheFirstFatalLineIsKept() {
        var stderr = "runtime: goroutine stack exceeds 1000000000-byte limit\nfatal error: stack overflow\n\n"
        for i in 0..<200 { stderr += "goroutine \(i) [running]:\n\tmain.f(...)\n\t/src/main.go:\(i)\n" }
        let execution = ProcessExecution(standardOutput: Data(), standardError: Data(stderr.utf8),
                                         termination: .exited(2), usage: ResourceUsage(rusage()),
                                         timedOut: false, interrupted: false, wallSeconds: 1)
        let outcome = ChildRunner.classify(execution, timeoutSeconds: 10)
        XCTAssertEqual(outcome.status, .crashed)
        XCTAssertTrue(outcome.error.contains("fatal error: stack overflow (runtime: goroutine stack exceeds"), outcome.error)
        XCTAssertFalse(outcome.error.contains("goroutine 199"), outcome.error)
        let panic = ProcessExecution(standardOutput: Data(), standardError: Data("panic: oops\n\ngoroutine 1 [running]:\nmain.main()\n".utf8),
                                     termination: .exited(2), usage: ResourceUsage(rusage()),
                                     timedOut: false, interrupted: false, wallSeconds: 1)
        XCTAssertTrue(ChildRunner.classify(panic, timeoutSeconds: 10).error.hasSuffix("panic: oops"))
        // Control characters of stderr are shown escaped.
        let escape = ProcessExecution(standardOutput: Data(), standardError: Data("fatal error: \u{1b}[2Jbad\n".utf8),
                                      termination: .exited(2), usage: ResourceUsage(rusage()),
                                      timedOut: false, interrupted: false, wallSeconds: 1)
        XCTAssertFalse(ChildRunner.classify(escape, timeoutSeconds: 10).error.contains("\u{1b}"))
    }
}

/// The streaming CSV reader gives the same records whatever the size of the pieces it is fed.
final class StreamingCSVReaderTests: XCTestCase {
    func records(_ text: String, pieceSize: Int) throws -> [CSVRecordReader.Record] {
        var reader = CSVRecordReader()
        var records: [CSVRecordReader.Record] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + pieceSize)
            try bytes[start..<end].withUnsafeBufferPointer { try reader.feed($0) { records.append($0) } }
            start = end
        }
        try reader.finish { records.append($0) }
        return records
    }

    func testPiecesOfAnySizeGiveTheSameRecords() throws {
        let text = "a,\"b\r\nc\",\"d\"\"e\"\r\n\r\nf,,\"\"\rg,h\n\"x\ny\",z\u{e9}\n,last"
        let whole = try CSVRecordReader.records(in: text)
        XCTAssertEqual(whole.map(\.fields), [["a", "b\r\nc", "d\"e"], [""], ["f", "", ""], ["g", "h"], ["x\ny", "z\u{e9}"], ["", "last"]])
        XCTAssertEqual(whole.map(\.line), [1, 3, 4, 5, 6, 8])
        for size in [1, 2, 3, 5, 7, 64] {
            XCTAssertEqual(try records(text, pieceSize: size), whole, "pieces of \(size) bytes")
        }
        for bad in ["a,\"open\nstill", "a,b\"c\n", "\"q\"x,1\n"] {
            XCTAssertThrowsError(try CSVRecordReader.records(in: bad), bad)
            XCTAssertThrowsError(try records(bad, pieceSize: 1), bad)
        }
    }
}
