// The shared driver of the fuzz harnesses: libFuzzer's loop when built with
// `-sanitize=fuzzer -DGOBENCH_FUZZ` (scripts/fuzz.sh), otherwise a replay of files and folders.
import Foundation

/// Runs one harness's property check over inputs.
///
/// Built by scripts/fuzz.sh (`-Xswiftc -sanitize=fuzzer,address -Xswiftc -DGOBENCH_FUZZ`), a
/// harness is a libFuzzer binary: `main` hands the command line to `LLVMFuzzerRunDriver`,
/// which mutates inputs and calls `LLVMFuzzerTestOneInput` below. A plain `swift build`
/// (no sanitizer, no libFuzzer to link) makes the same harness a replayer: every file named
/// on the command line, or found in a folder named there, is checked once. Either way a
/// broken property ends the process with `abort()` after printing the property and the input
/// in base64, so libFuzzer saves the input as `crash-*` and a replay exits non-zero.
public enum FuzzDriver {
    /// The property check of the running harness; set once by `run` before any input.
    nonisolated(unsafe) static var check: ((UnsafeRawBufferPointer) -> Void)?
    /// The harness name, for failure messages.
    nonisolated(unsafe) static var harnessName = "fuzz"
    /// The input being checked, for failure messages.
    nonisolated(unsafe) static var currentInput = UnsafeRawBufferPointer(start: nil, count: 0)

    /// Hands control to libFuzzer (or replays the arguments) and exits with its status.
    public static func run(name: String, check: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        harnessName = name
        FuzzDriver.check = check
        #if GOBENCH_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerCallback))
        #else
        exit(replay(Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// Checks one input (what libFuzzer's entry point and the replayer both call).
    static func checkOne(_ bytes: UnsafeRawBufferPointer) {
        currentInput = bytes
        check?(bytes)
    }

    /// Checks every file named, and every file inside the folders named; 0 when all pass.
    static func replay(_ paths: [String]) -> Int32 {
        if paths.isEmpty || paths.contains(where: { $0.hasPrefix("-") }) {
            FileHandle.standardError.write(Data("usage: fuzz-\(harnessName) FILE_OR_FOLDER...  (replays inputs; build with scripts/fuzz.sh to fuzz)\n".utf8))
            return 2
        }
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("fuzz-\(harnessName): \(path): no such file or folder\n".utf8))
                return 2
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        installCrashNote()
        for file in files {
            setCrashNote("fuzz-\(harnessName): crashed (a trap, not a broken property) on input \(file)\n")
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("fuzz-\(harnessName): \(file): cannot read\n".utf8))
                return 2
            }
            data.withUnsafeBytes { checkOne($0) }
        }
        setCrashNote("")
        print("fuzz-\(harnessName): \(files.count) inputs replayed, every property held")
        return 0
    }
}

/// The line a replay prints when an input traps (overflow, force unwrap): the trap kills the
/// process before Swift code can say which file it was, so a signal handler writes it.
nonisolated(unsafe) private var crashNote = [CChar](repeating: 0, count: 4096)
nonisolated(unsafe) private var crashNoteLength = 0

private func setCrashNote(_ note: String) {
    let bytes = Array(note.utf8.prefix(crashNote.count))
    for (index, byte) in bytes.enumerated() { crashNote[index] = CChar(bitPattern: byte) }
    crashNoteLength = bytes.count
}

private func installCrashNote() {
    for signalNumber in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE] {
        signal(signalNumber) { received in
            // Only async-signal-safe calls: write(2), then the default action again.
            crashNote.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, crashNoteLength) }
            signal(received, SIG_DFL)
            raise(received)
        }
    }
}

/// Ends the process when `condition` is false, printing the property and the input so that
/// the failure can be reproduced (`echo BASE64 | base64 -d > input`).
public func require(_ condition: @autoclosure () -> Bool, _ property: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if condition() { return }
    let input = Data(FuzzDriver.currentInput)
    let message = """
        fuzz-\(FuzzDriver.harnessName): PROPERTY BROKEN at \(file):\(line): \(property())
        input (\(input.count) bytes, base64): \(input.base64EncodedString())

        """
    FileHandle.standardError.write(Data(message.utf8))
    setCrashNote("")  // the message above says it all
    abort()
}

/// True when the text holds no line end, so it prints as one line.
public func isOneLine(_ text: String) -> Bool {
    !text.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
}

/// The input as text, invalid UTF-8 replaced by U+FFFD (as `String(decoding:)` reads a file).
public func decodedText(_ bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// Splits the input at its first byte: a selector (which parser of the harness to run) and
/// the rest as text. Nil for an empty input.
public func selectorAndText(_ bytes: UnsafeRawBufferPointer) -> (selector: UInt8, text: String)? {
    guard let first = bytes.first else { return nil }
    return (first, String(decoding: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), as: UTF8.self))
}

#if GOBENCH_FUZZ
/// libFuzzer's driver (compiler-rt FuzzerDriver.cpp): parses libFuzzer's flags from the
/// command line and runs the fuzzing loop with `callback` as the entry point.
/// `@_silgen_name`: a C function of libFuzzer's runtime, which has no header to import.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt) -> CInt

private let fuzzerCallback: @convention(c) (UnsafeRawPointer?, Int) -> CInt = { start, count in
    LLVMFuzzerTestOneInput(start, count)
}
#endif

/// libFuzzer's entry point: one input, checked; 0 keeps it eligible for the corpus.
/// `@_cdecl`: libFuzzer calls it by this C name.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzDriver.checkOne(UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count))
    return 0
}
