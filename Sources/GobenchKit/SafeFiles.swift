// Files written safely where other users can write too: temporary files created exclusively
// (mkstemp: O_CREAT|O_EXCL, which never follows a symbolic link at the name) in the output's own
// folder and renamed into place; outputs compared with inputs by identity (device and inode).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file that cannot be written or compared. One line, naming the file.
public struct SafeFileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description.singleLineForMessage }
}

public enum SafeFile {
    /// Creates a new file `<directory>/.<name>.tmp-XXXXXX` with mkstemp (mode 0600, close on
    /// exec). Returns its descriptor and path.
    public static func createTemporary(beside path: String) throws -> (descriptor: Int32, path: String) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var template = Array((directory + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw SafeFileError("cannot write \(path): cannot create a temporary file in \(directory): \(String(cString: strerror(errno))) (nothing was changed)")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (fd, temporary)
    }

    /// Writes every byte of `bytes` to `fd`, retrying on EINTR. Returns the errno text on failure.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
        var written = 0
        while written < bytes.count {
            let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return n < 0 ? String(cString: strerror(errno)) : "nothing written" }
            written += n
        }
        return nil
    }

    /// Writes `path` through a fresh temporary file beside it: `fill` writes the content to the
    /// descriptor, then fsync, rename over `path`, fsync of the folder. A reader sees the old
    /// file or the whole new one; on any failure the temporary file is removed and `path` is
    /// untouched. The new file gets mode 0644 (less the umask).
    public static func writeAtomically(to path: String, _ fill: (Int32) throws -> Void) throws {
        let (fd, temporary) = try createTemporary(beside: path)
        var failure: Error? = nil
        do {
            try fill(fd)
            if fsync(fd) != 0 && errno != EINVAL {
                throw SafeFileError("cannot write \(path): \(String(cString: strerror(errno))) (nothing was changed)")
            }
            let mask = umask(0); umask(mask)
            _ = fchmod(fd, 0o644 & ~mask)
        } catch { failure = error }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 {
            failure = SafeFileError("cannot write \(path): \(String(cString: strerror(errno))) (nothing was changed)")
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// `writeAtomically` with a whole text.
    public static func writeAtomically(_ text: String, to path: String) throws {
        try writeAtomically(to: path) { fd in
            var text = text
            if let why = text.withUTF8({ writeAll(fd, UnsafeRawBufferPointer($0)) }) {
                throw SafeFileError("cannot write \(path): \(why) (nothing was changed)")
            }
        }
    }

    /// True when `a` and `b` name the same existing file (same device and inode, so a link,
    /// a symbolic link or another spelling of the path counts).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Refuses an output that is one of the inputs (unless `force`): one line naming both.
    public static func refuseOutputEqualToInput(_ output: String, inputs: [String], force: Bool) throws {
        guard !force else { return }
        if let input = inputs.first(where: { sameFile($0, output) }) {
            let spelled = input == output ? "" : " (\(input))"
            throw SafeFileError("the output \(output) is an input\(spelled); choose another output, or pass --force to replace it")
        }
    }

    /// A fresh private folder (mode 0700, mkdtemp) under $TMPDIR for files of this process.
    public static func makePrivateDirectory(prefix: String) throws -> String {
        var base = NSTemporaryDirectory()
        if !base.hasSuffix("/") { base += "/" }
        var template = Array((base + prefix + "-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw SafeFileError("cannot create a private folder in \(base): \(String(cString: strerror(errno)))")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
