// Writes the report all at once: a temporary file beside the target, then a rename, so
// that a failure never leaves a half-written or emptied report behind.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file's contents atomically.
public enum ReportFileWriter {
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError("\(path): the folder \(directory) does not exist")
        }
        // Same folder as the target, so that rename(2) stays on one file system and is atomic;
        // created exclusively (mkstemp), so a planted name or link is never followed.
        do {
            try SafeFile.writeAtomically(text, to: path)
        } catch let error as SafeFileError {
            throw ReportError(error.description)
        }
    }
}
